using Capgo.Edge.Core;
using Capgo.Edge.Server.Events;

namespace Capgo.Edge.Server.Tests.Events;

public sealed class CheckEventFilterTests
{
    private const string Document = """
        {"app_id":"com.demo.app","bundles":[{"name":"1.0.0","url":"https://x/1.zip"},{"name":"1.1.0","url":"https://x/2.zip"}],
         "channels":[{"name":"production","bundle":"1.1.0","public":true}]}
        """;

    private sealed class ManualTime : TimeProvider
    {
        public long Ticks { get; set; }

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => Ticks;
    }

    private static (UpdateCheck Check, UpdateDecision Decision) Check(string device, string versionName = "1.0.0", string versionBuild = "1.0.0")
    {
        var app = AppDocument.Parse(System.Text.Encoding.UTF8.GetBytes(Document), 1);
        var raw = new RawUpdateCheck
        {
            AppId = "com.demo.app", DeviceId = device, VersionName = versionName, VersionBuild = versionBuild,
            Platform = "android", PluginVersion = "8.0.0",
        };
        Assert.Null(RequestValidator.Validate(raw, out var check));
        return (check, UpdateDecider.Decide(app, check));
    }

    [Fact]
    public void A_repeated_poll_is_sent_once_per_window_and_any_change_is_sent_at_once()
    {
        var time = new ManualTime();
        var filter = new CheckEventFilter(new EventOptions { CheckDedupWindow = TimeSpan.FromMinutes(10) }, time);
        var (check, decision) = Check("00009a6b-eefe-490a-9c60-8e965132ae51");
        Assert.Equal(Outcome.UpdateAvailable, decision.Outcome);

        Assert.True(filter.ShouldSend(check, decision, time.GetTimestamp()));
        Assert.False(filter.ShouldSend(check, decision, time.GetTimestamp()));

        // The same device in another case is the same device.
        var (upper, upperDecision) = Check("00009A6B-EEFE-490A-9C60-8E965132AE51");
        Assert.False(filter.ShouldSend(upper, upperDecision, time.GetTimestamp()));

        // The device installed the update: new state, sent at once.
        var (updated, upToDate) = Check("00009a6b-eefe-490a-9c60-8e965132ae51", versionName: "1.1.0");
        Assert.Equal(Outcome.NoNewVersionAvailable, upToDate.Outcome);
        Assert.True(filter.ShouldSend(updated, upToDate, time.GetTimestamp()));

        // Another device is never a repeat.
        var (other, otherDecision) = Check("11111111-2222-4333-8444-555555555555");
        Assert.True(filter.ShouldSend(other, otherDecision, time.GetTimestamp()));

        // After the window the same state is reported again.
        time.Ticks += TimeSpan.FromMinutes(10).Ticks;
        Assert.True(filter.ShouldSend(updated, upToDate, time.GetTimestamp()));
        Assert.False(filter.ShouldSend(updated, upToDate, time.GetTimestamp()));
    }

    [Fact]
    public void A_zero_window_sends_every_check()
    {
        var time = new ManualTime();
        var filter = new CheckEventFilter(new EventOptions { CheckDedupWindow = TimeSpan.Zero }, time);
        var (check, decision) = Check("00009a6b-eefe-490a-9c60-8e965132ae51");
        Assert.True(filter.ShouldSend(check, decision, time.GetTimestamp()));
        Assert.True(filter.ShouldSend(check, decision, time.GetTimestamp()));
    }

    [Fact]
    public void Devices_sharing_a_slot_do_not_evict_each_other_while_the_table_has_room()
    {
        // 300 devices in 1 024 slots: a direct-mapped table (or one using only odd slots) loses a
        // quarter or more of them to collisions, and each of those is sent again on every poll.
        var time = new ManualTime();
        var filter = new CheckEventFilter(new EventOptions { CheckDedupWindow = TimeSpan.FromMinutes(10), CheckDedupSlots = 1024 }, time);
        var random = new Random(20261123);
        var checks = Enumerable.Range(0, 300).Select(_ => Check(new Guid(random.GetItems<byte>(Enumerable.Range(0, 256).Select(static b => (byte)b).ToArray(), 16)).ToString())).ToList();

        Assert.All(checks, c => Assert.True(filter.ShouldSend(c.Check, c.Decision, time.GetTimestamp())));
        var resent = checks.Count(c => filter.ShouldSend(c.Check, c.Decision, time.GetTimestamp()));

        Assert.True(resent <= 3, $"{resent} of {checks.Count} repeated polls were sent again");
    }

    [Theory]
    [InlineData("1.0.0-ünïcode")]
    [InlineData("a-version-name-longer-than-the-key-buffer-" + "0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789")]
    public void Checks_whose_parts_do_not_fit_the_byte_key_are_still_recognised_as_repeats(string versionName)
    {
        var time = new ManualTime();
        var filter = new CheckEventFilter(new EventOptions { CheckDedupWindow = TimeSpan.FromMinutes(10) }, time);
        var (check, decision) = Check("00009a6b-eefe-490a-9c60-8e965132ae51", versionName);
        var (upper, upperDecision) = Check("00009A6B-EEFE-490A-9C60-8E965132AE51", versionName);
        var (ascii, asciiDecision) = Check("00009a6b-eefe-490a-9c60-8e965132ae51", "1.0.0");

        Assert.True(filter.ShouldSend(check, decision, time.GetTimestamp()));
        Assert.False(filter.ShouldSend(check, decision, time.GetTimestamp()));
        Assert.False(filter.ShouldSend(upper, upperDecision, time.GetTimestamp()));
        Assert.True(filter.ShouldSend(ascii, asciiDecision, time.GetTimestamp()));
    }

    [Fact]
    public void Key_parts_are_delimited_so_text_moved_between_parts_is_another_key()
    {
        // Running bundle and native version "1.0.01" + "1.0.0" and "1.0.0" + "11.0.0" concatenate to the same text.
        var (check, decision) = Check("00009a6b-eefe-490a-9c60-8e965132ae51", versionName: "1.0.01", versionBuild: "1.0.0");
        var (shifted, _) = Check("00009a6b-eefe-490a-9c60-8e965132ae51", versionName: "1.0.0", versionBuild: "11.0.0");
        var (again, againDecision) = Check("00009A6B-EEFE-490A-9C60-8E965132AE51", versionName: "1.0.01", versionBuild: "1.0.0");

        Assert.NotEqual(CheckEventFilter.Key(check, decision), CheckEventFilter.Key(shifted, decision));
        Assert.Equal(CheckEventFilter.Key(check, decision), CheckEventFilter.Key(again, againDecision));
    }
}

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

    private static (UpdateCheck Check, UpdateDecision Decision) Check(string device, string versionName = "1.0.0")
    {
        var app = AppDocument.Parse(System.Text.Encoding.UTF8.GetBytes(Document), 1);
        var raw = new RawUpdateCheck
        {
            AppId = "com.demo.app", DeviceId = device, VersionName = versionName, VersionBuild = "1.0.0",
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

        Assert.True(filter.ShouldSend(check, decision));
        Assert.False(filter.ShouldSend(check, decision));

        // The same device in another case is the same device.
        var (upper, upperDecision) = Check("00009A6B-EEFE-490A-9C60-8E965132AE51");
        Assert.False(filter.ShouldSend(upper, upperDecision));

        // The device installed the update: new state, sent at once.
        var (updated, upToDate) = Check("00009a6b-eefe-490a-9c60-8e965132ae51", versionName: "1.1.0");
        Assert.Equal(Outcome.NoNewVersionAvailable, upToDate.Outcome);
        Assert.True(filter.ShouldSend(updated, upToDate));

        // Another device is never a repeat.
        var (other, otherDecision) = Check("11111111-2222-4333-8444-555555555555");
        Assert.True(filter.ShouldSend(other, otherDecision));

        // After the window the same state is reported again.
        time.Ticks += TimeSpan.FromMinutes(10).Ticks;
        Assert.True(filter.ShouldSend(updated, upToDate));
        Assert.False(filter.ShouldSend(updated, upToDate));
    }

    [Fact]
    public void A_zero_window_sends_every_check()
    {
        var filter = new CheckEventFilter(new EventOptions { CheckDedupWindow = TimeSpan.Zero }, new ManualTime());
        var (check, decision) = Check("00009a6b-eefe-490a-9c60-8e965132ae51");
        Assert.True(filter.ShouldSend(check, decision));
        Assert.True(filter.ShouldSend(check, decision));
    }

    [Fact]
    public void Devices_sharing_a_slot_do_not_evict_each_other_while_the_table_has_room()
    {
        // 300 devices in 1 024 slots: a direct-mapped table (or one using only odd slots) loses a
        // quarter or more of them to collisions, and each of those is sent again on every poll.
        var filter = new CheckEventFilter(new EventOptions { CheckDedupWindow = TimeSpan.FromMinutes(10), CheckDedupSlots = 1024 }, new ManualTime());
        var random = new Random(20261123);
        var checks = Enumerable.Range(0, 300).Select(_ => Check(new Guid(random.GetItems<byte>(Enumerable.Range(0, 256).Select(static b => (byte)b).ToArray(), 16)).ToString())).ToList();

        Assert.All(checks, c => Assert.True(filter.ShouldSend(c.Check, c.Decision)));
        var resent = checks.Count(c => filter.ShouldSend(c.Check, c.Decision));

        Assert.True(resent <= 3, $"{resent} of {checks.Count} repeated polls were sent again");
    }
}

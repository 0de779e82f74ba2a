using Capgo.Edge.Core;
using Microsoft.Extensions.Options;
using static Capgo.Edge.Server.Tests.Stats.StatsBodies;
using Capgo.Edge.Tests.Support;

namespace Capgo.Edge.Server.Tests.Stats;

/// <summary>The check-path device event (what UpdateServiceImpl enqueues) in the real stream; option validation.</summary>
public sealed class StatsCheckEventTests(StatsFixture fixture) : IClassFixture<StatsFixture>
{
    [Fact]
    public async Task A_check_event_carries_the_outcome_and_the_offered_version()
    {
        var device = NewDevice().ToUpperInvariant();
        var offer = Check(device, "1.3.1", "beta");
        var blocked = Check(device, "builtin", null, versionBuild: "0.9.0");
        var app = fixture.Edge.Store.Find(StatsSamples.AppId);
        var offerDecision = UpdateDecider.Decide(app, offer.Check);
        var blockedDecision = UpdateDecider.Decide(app, blocked.Check);
        Assert.Equal(Outcome.UpdateAvailable, offerDecision.Outcome);
        Assert.NotEqual(Outcome.UpdateAvailable, blockedDecision.Outcome);

        Assert.True(fixture.Edge.Events.TryEnqueueCheck(offer.Check, offer.Raw, offerDecision, TimeProvider.System.GetTimestamp()));
        Assert.True(fixture.Edge.Events.TryEnqueueCheck(blocked.Check, blocked.Raw, blockedDecision, TimeProvider.System.GetTimestamp()));

        // Unknown apps are not reported.
        var unknown = Check(device, "1.3.1", null, appId: "com.unknown.app");
        Assert.False(fixture.Edge.Events.TryEnqueueCheck(unknown.Check, unknown.Raw, UpdateDecider.Decide(null, unknown.Check), TimeProvider.System.GetTimestamp()));

        List<Dictionary<string, string>> entries = [];
        await Eventually.TrueAsync(async () => (entries = await fixture.EntriesOfAsync(device)).Count >= 2, "two check entries");
        Assert.Equal(2, entries.Count);

        var first = entries[0];
        Assert.Equal("check", first["kind"]);
        Assert.Equal("2", first["v"]);
        Assert.Equal(device.ToLowerInvariant(), first["device_id"]);
        Assert.Equal(StatsSamples.AppId, first["app_id"]);
        Assert.Equal("android", first["platform"]);
        Assert.Equal("1.3.1", first["version_name"]);
        Assert.Equal("1.2.0", first["version_build"]);
        Assert.Equal("8.51.23", first["plugin_version"]);
        Assert.Equal("update_available", first["outcome"]);
        Assert.Equal(offerDecision.Bundle!.Name, first["version"]);
        Assert.Equal("beta", first["channel"]);
        Assert.Equal("beta", first["default_channel"]);
        Assert.Equal("app_store", first["install_source"]);
        Assert.Equal("14", first["version_os"]);
        Assert.False(first.ContainsKey("action"));
        Assert.False(first.ContainsKey("metadata"));

        var second = entries[1];
        Assert.Equal(Outcomes.Code(blockedDecision.Outcome), second["outcome"]);
        Assert.Equal("0.9.0", second["version_name"]);
        Assert.False(second.ContainsKey("default_channel"));
    }

    [Theory]
    [InlineData("--Events:QueueCapacity=0")]
    [InlineData("--Events:BatchSize=0")]
    [InlineData("--Events:MaxStreamLength=10")]
    [InlineData("--Events:FlushTimeout=01:00:00")]
    [InlineData("--Events:MaxRetryDelay=00:00:00")]
    [InlineData("--Events:RetryDelay=00:00:10")]
    public async Task Invalid_options_stop_the_edge_at_start(string option)
    {
        var app = TestEdge.Build(option);
        try
        {
            await Assert.ThrowsAsync<OptionsValidationException>(() => app.StartAsync());
        }
        finally
        {
            await app.DisposeAsync();
        }
    }

    private static (UpdateCheck Check, RawUpdateCheck Raw) Check(string device, string versionName, string? defaultChannel, string versionBuild = "1.2.0", string appId = StatsSamples.AppId)
    {
        var raw = new RawUpdateCheck
        {
            AppId = appId,
            DeviceId = device,
            VersionName = versionName,
            VersionBuild = versionBuild,
            Platform = "android",
            PluginVersion = "8.51.23",
            IsEmulator = false,
            IsProd = true,
            DefaultChannel = defaultChannel,
            InstallSource = " App_Store ",
            VersionCode = "120",
            VersionOs = "14",
        };
        Assert.Null(RequestValidator.Validate(raw, out var check));
        return (check, raw);
    }
}

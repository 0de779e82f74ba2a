using System.Runtime.CompilerServices;

namespace Capgo.Edge.Core.Tests;

/// <summary>The decision allocates nothing on any path: it runs once per request at the edge.</summary>
public class AllocationTests
{
    private const int WarmUp = 500;
    private const int Measured = 1_000;

    private static readonly AppSnapshot App = Doc.App()
        .Set("expose_metadata", true)
        .WithBundles(
            Doc.Bundle("1.0.0"),
            Doc.Bundle("1.1.0").Set("link", "https://example.com").Set("comment", "notes"),
            Doc.Bundle("1.2.0").Set("manifest", new System.Text.Json.Nodes.JsonArray(Doc.ManifestFile("a.js"))),
            Doc.Bundle("2.0.0"),
            Doc.Bundle("1.5.0").Set("key_id", "bundlekey"))
        .WithChannels(
            Doc.Channel("production", "1.1.0", isPublic: true),
            Doc.Channel("beta", "2.0.0").Set("allow_device_self_set", true),
            Doc.Channel("rolling", "1.1.0").Set("allow_device_self_set", true).Set("rollout", Doc.Rollout("r-1", "1.2.0", 5_000)),
            Doc.Channel("paused", "1.1.0").Set("allow_device_self_set", true).Set("rollout", Doc.Rollout("r-2", "1.2.0", 5_000, paused: true)),
            Doc.Channel("pinned", "1.2.0"),
            Doc.Channel("builtin", null).Set("allow_device_self_set", true),
            Doc.Channel("keyed", "1.5.0").Set("allow_device_self_set", true))
        .WithOverride(Requests.OtherDeviceId, "pinned")
        .Snapshot();

    /// <summary>Finds a device id on the requested side of rollout <c>r-1</c> at 50 %.</summary>
    private static string RolloutDevice(bool inside) =>
        Requests.DeviceIds(1_000, seed: 7).First(d => RolloutBucket.Compute("r-1", d) < 5_000 == inside);

    public static TheoryData<string, Outcome> Paths => new()
    {
        { "offer", Outcome.UpdateAvailable },
        { "offer-upper-case-device", Outcome.UpdateAvailable },
        { "up-to-date", Outcome.NoNewVersionAvailable },
        { "blocked-major", Outcome.DisableAutoUpdateToMajor },
        { "blocked-prod", Outcome.DisableProdBuild },
        { "rollout-hit", Outcome.UpdateAvailable },
        { "rollout-miss", Outcome.UpdateAvailable },
        { "rollout-paused", Outcome.NoNewVersionAvailable },
        { "override", Outcome.UpdateAvailable },
        { "builtin", Outcome.AlreadyOnBuiltin },
        { "no-channel", Outcome.NoChannel },
        { "unknown-app", Outcome.OnPremiseApp },
        { "key-mismatch", Outcome.KeyIdMismatch },
        { "manifest-offer", Outcome.UpdateAvailable },
    };

    private static (AppSnapshot? App, UpdateCheck Check, Func<UpdateDecision, bool> Expect) Scenario(string path) => path switch
    {
        "offer" => (App, Requests.Check(), d => d.Bundle?.Name == "1.1.0" && d.IncludeMetadata),
        "offer-upper-case-device" => (App, Requests.Check(deviceId: Requests.DeviceId.ToUpperInvariant()), d => d.Bundle?.Name == "1.1.0"),
        "up-to-date" => (App, Requests.Check(versionName: "1.1.0"), _ => true),
        "blocked-major" => (App, Requests.Check(defaultChannel: "beta"), d => d.Version == "2.0.0" && d.Major),
        "blocked-prod" => (Doc.Standard().Set("channels", new System.Text.Json.Nodes.JsonArray(Doc.Channel("production", "1.1.0", isPublic: true).Set("allow_prod", false))).Snapshot(), Requests.Check(), _ => true),
        "rollout-hit" => (App, Requests.Check(defaultChannel: "rolling", deviceId: RolloutDevice(inside: true).ToUpperInvariant()), d => d.InRollout && d.Bundle?.Name == "1.2.0"),
        "rollout-miss" => (App, Requests.Check(defaultChannel: "rolling", deviceId: RolloutDevice(inside: false)), d => !d.InRollout && d.Bundle?.Name == "1.1.0"),
        "rollout-paused" => (App, Requests.Check(defaultChannel: "paused", versionName: "1.2.0"), d => d.InRollout),
        "override" => (App, Requests.Check(deviceId: Requests.OtherDeviceId), d => d.Source == ChannelSource.Override && d.IncludeManifest),
        "builtin" => (App, Requests.Check(defaultChannel: "builtin"), d => d.Version == "builtin"),
        "no-channel" => (App, Requests.Check(defaultChannel: "pinned"), _ => true),
        "unknown-app" => (null, Requests.Check(), _ => true),
        "key-mismatch" => (App, Requests.Check(defaultChannel: "keyed", keyId: "devicekey"), _ => true),
        "manifest-offer" => (App, Requests.Check(defaultChannel: "rolling", deviceId: RolloutDevice(inside: true), pluginVersion: "7.0.35"), d => d.IncludeManifest),
        _ => throw new ArgumentOutOfRangeException(nameof(path)),
    };

    [Theory]
    [MemberData(nameof(Paths))]
    public void Decision_allocates_nothing(string path, Outcome expected)
    {
        var (app, check, expect) = Scenario(path);
        var first = UpdateDecider.Decide(app, check);
        Assert.Equal(expected, first.Outcome);
        Assert.True(expect(first), $"scenario {path} did not take the intended path");

        Assert.Equal(0, MeasureAllocations(app, check, expected));
    }

    [Fact]
    public void Allocation_measurement_detects_an_allocation()
    {
        // Guards the measurement itself: the same loop around an allocating call must report bytes.
        var check = Requests.Check();
        for (var i = 0; i < WarmUp; i++)
        {
            _ = Outcomes.Message(new UpdateDecision(Outcome.MisconfiguredChannel, App.ChannelsByName["beta"]), check);
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < Measured; i++)
        {
            _ = Outcomes.Message(new UpdateDecision(Outcome.MisconfiguredChannel, App.ChannelsByName["beta"]), check);
        }

        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before > 0);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static long MeasureAllocations(AppSnapshot? app, UpdateCheck check, Outcome expected)
    {
        var mismatches = 0;
        for (var i = 0; i < WarmUp; i++)
        {
            if (UpdateDecider.Decide(app, check).Outcome != expected)
            {
                mismatches++;
            }
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < Measured; i++)
        {
            if (UpdateDecider.Decide(app, check).Outcome != expected)
            {
                mismatches++;
            }
        }

        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, mismatches);
        return allocated;
    }
}

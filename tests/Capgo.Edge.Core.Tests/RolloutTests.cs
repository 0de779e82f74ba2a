using System.Text.Json.Nodes;

namespace Capgo.Edge.Core.Tests;

/// <summary>update-check.md §3: percentage rollouts, through the decision and as properties of the bucket.</summary>
public class RolloutTests
{
    private const string RolloutId = "2f1c7d0e-rollout-a";
    private const int PropertyDevices = 100_000;

    private static readonly Lazy<string[]> Devices = new(() => Requests.DeviceIds(PropertyDevices, seed: 20261123));

    /// <summary>Channel <c>production</c> on 1.1.0 with a rollout of 1.2.0 (VB 1.0.0, policy major).</summary>
    private static AppSnapshot App(JsonObject rollout, bool deleteRolloutBundle = false) =>
        Doc.App()
            .WithBundles(Doc.Bundle("1.0.0"), Doc.Bundle("1.1.0"), Doc.Bundle("1.2.0").Set("deleted", deleteRolloutBundle))
            .WithChannels(Doc.Channel("production", "1.1.0", isPublic: true).Set("rollout", rollout))
            .Snapshot();

    private static UpdateDecision Decide(AppSnapshot app, string deviceId, string versionName = "1.0.0") =>
        UpdateDecider.Decide(app, Requests.Check(deviceId: deviceId, versionName: versionName));

    [Fact]
    public void Device_below_the_share_gets_the_rollout_bundle_and_above_it_the_channel_bundle()
    {
        var bucket = RolloutBucket.Compute(RolloutId, Requests.DeviceId);

        var inside = Decide(App(Doc.Rollout(RolloutId, "1.2.0", bucket + 1)), Requests.DeviceId);
        Assert.Equal(Outcome.UpdateAvailable, inside.Outcome);
        Assert.Equal("1.2.0", inside.Bundle?.Name);
        Assert.True(inside.InRollout);
        Assert.Equal(bucket, inside.RolloutBucket);

        // bucket < share is the rule: a share equal to the bucket leaves the device out.
        var outside = Decide(App(Doc.Rollout(RolloutId, "1.2.0", bucket)), Requests.DeviceId);
        Assert.Equal(Outcome.UpdateAvailable, outside.Outcome);
        Assert.Equal("1.1.0", outside.Bundle?.Name);
        Assert.False(outside.InRollout);
        Assert.Equal(bucket, outside.RolloutBucket);
    }

    [Fact]
    public void Device_in_the_rollout_and_already_on_its_bundle_is_up_to_date()
    {
        var app = App(Doc.Rollout(RolloutId, "1.2.0", 10_000));
        Assert.Equal(Outcome.NoNewVersionAvailable, Decide(app, Requests.DeviceId, versionName: "1.2.0").Outcome);
    }

    [Theory]
    [InlineData(false, 10_000)] // disabled
    [InlineData(true, 0)] // 0 %
    public void Disabled_or_zero_share_rollout_places_nobody(bool enabled, int share)
    {
        var app = App(Doc.Rollout(RolloutId, "1.2.0", share, enabled: enabled));
        foreach (var device in Devices.Value.AsSpan(0, 5_000))
        {
            var decision = Decide(app, device);
            Assert.Equal("1.1.0", decision.Bundle?.Name);
            Assert.False(decision.InRollout);
        }
    }

    [Fact]
    public void Full_share_places_everybody()
    {
        var app = App(Doc.Rollout(RolloutId, "1.2.0", 10_000));
        foreach (var device in Devices.Value.AsSpan(0, 5_000))
        {
            var decision = Decide(app, device);
            Assert.Equal("1.2.0", decision.Bundle?.Name);
            Assert.True(decision.InRollout);
        }
    }

    [Fact]
    public void Rollout_of_a_deleted_bundle_is_ignored()
    {
        var app = App(Doc.Rollout(RolloutId, "1.2.0", 10_000), deleteRolloutBundle: true);
        var decision = Decide(app, Requests.DeviceId);
        Assert.Equal("1.1.0", decision.Bundle?.Name);
        Assert.False(decision.InRollout);
        Assert.Equal(-1, decision.RolloutBucket);
    }

    [Fact]
    public void Paused_rollout_keeps_only_devices_already_on_its_bundle()
    {
        // Full share, paused: nobody new joins.
        var app = App(Doc.Rollout(RolloutId, "1.2.0", 10_000, paused: true));
        foreach (var device in Devices.Value.AsSpan(0, 2_000))
        {
            var newcomer = Decide(app, device, versionName: "1.0.0");
            Assert.Equal(Outcome.UpdateAvailable, newcomer.Outcome);
            Assert.Equal("1.1.0", newcomer.Bundle?.Name);
            Assert.False(newcomer.InRollout);

            var member = Decide(app, device, versionName: "1.2.0");
            Assert.Equal(Outcome.NoNewVersionAvailable, member.Outcome);
            Assert.Equal("1.2.0", member.Bundle?.Name);
            Assert.True(member.InRollout);

            Assert.Equal(Outcome.NoNewVersionAvailable, Decide(app, device, versionName: "1.1.0").Outcome);
        }
    }

    [Fact]
    public void Rollout_bundle_goes_through_the_channel_policies()
    {
        // V is the rollout bundle for devices inside it, so policies judge that bundle.
        var app = Doc.App()
            .WithBundles(Doc.Bundle("1.1.0"), Doc.Bundle("2.0.0"))
            .WithChannels(Doc.Channel("production", "1.1.0", isPublic: true, policy: "major").Set("rollout", Doc.Rollout(RolloutId, "2.0.0", 10_000)))
            .Snapshot();
        var decision = Decide(app, Requests.DeviceId);
        Assert.Equal(Outcome.DisableAutoUpdateToMajor, decision.Outcome);
        Assert.Equal("2.0.0", decision.Version);
        Assert.Equal("1.0.0", decision.Old);
        Assert.True(decision.InRollout);
    }

    [Fact]
    public void Rollout_applies_to_a_channel_chosen_by_override()
    {
        var app = Doc.App()
            .WithBundles(Doc.Bundle("1.1.0"), Doc.Bundle("1.2.0"), Doc.Bundle("1.3.0"))
            .WithChannels(
                Doc.Channel("production", "1.1.0", isPublic: true),
                Doc.Channel("qa", "1.2.0").Set("rollout", Doc.Rollout(RolloutId, "1.3.0", 10_000)))
            .WithOverride(Requests.DeviceId, "qa")
            .Snapshot();
        var decision = Decide(app, Requests.DeviceId);
        Assert.Equal(ChannelSource.Override, decision.Source);
        Assert.Equal("1.3.0", decision.Bundle?.Name);
        Assert.True(decision.InRollout);
    }

    [Fact]
    public void Rollout_of_a_bundle_that_is_not_uploaded_is_no_bundle_for_devices_inside()
    {
        var app = Doc.App()
            .WithBundles(Doc.Bundle("1.1.0"), Doc.Bundle("1.2.0").Set("url", null))
            .WithChannels(Doc.Channel("production", "1.1.0", isPublic: true).Set("rollout", Doc.Rollout(RolloutId, "1.2.0", 10_000)))
            .Snapshot();
        Assert.Equal(Outcome.NoBundle, Decide(app, Requests.DeviceId).Outcome);
    }

    [Fact]
    public void Rollout_decision_ignores_device_id_case()
    {
        var app = App(Doc.Rollout(RolloutId, "1.2.0", 5_000));
        foreach (var device in Devices.Value.AsSpan(0, 2_000))
        {
            var lower = Decide(app, device);
            var upper = Decide(app, device.ToUpperInvariant());
            Assert.Equal(lower.RolloutBucket, upper.RolloutBucket);
            Assert.Equal(lower.InRollout, upper.InRollout);
        }
    }

    // ---- Properties over 100 000 generated device ids ----

    private static int[] Buckets(string rolloutId)
    {
        var devices = Devices.Value;
        var buckets = new int[devices.Length];
        for (var i = 0; i < devices.Length; i++)
        {
            buckets[i] = RolloutBucket.Compute(rolloutId, devices[i]);
        }

        return buckets;
    }

    [Fact]
    public void Bucket_is_stable_across_calls_and_case()
    {
        var first = Buckets(RolloutId);
        var second = Buckets(RolloutId);
        Assert.Equal(first, second);
        var devices = Devices.Value;
        for (var i = 0; i < devices.Length; i++)
        {
            Assert.InRange(first[i], 0, RolloutBucket.Buckets - 1);
            Assert.Equal(first[i], RolloutBucket.Compute(RolloutId, devices[i].ToUpperInvariant()));
        }
    }

    [Fact]
    public void Raising_the_share_never_removes_a_device_and_lowering_removes_exactly_those_above()
    {
        var devices = Devices.Value;
        int[] shares = [0, 1, 100, 1_000, 2_500, 2_501, 5_000, 9_999, 10_000];
        var apps = shares.Select(s => App(Doc.Rollout(RolloutId, "1.2.0", s))).ToArray();
        for (var d = 0; d < devices.Length; d++)
        {
            var inside = new bool[shares.Length];
            var bucket = -1;
            for (var s = 0; s < shares.Length; s++)
            {
                var decision = Decide(apps[s], devices[d]);
                inside[s] = decision.InRollout;
                if (decision.RolloutBucket >= 0)
                {
                    bucket = decision.RolloutBucket;
                }

                // Raising: once in, in at every larger share.
                if (s > 0 && inside[s - 1])
                {
                    Assert.True(inside[s], $"device {devices[d]} left the rollout when the share rose to {shares[s]}");
                }
            }

            // Lowering from any share to any smaller one removes exactly the devices whose bucket ≥ new share.
            for (var hi = 0; hi < shares.Length; hi++)
            {
                for (var lo = 0; lo < hi; lo++)
                {
                    var removed = inside[hi] && !inside[lo];
                    Assert.Equal(inside[hi] && bucket >= shares[lo], removed);
                }
            }
        }
    }

    [Theory]
    [InlineData(1_000)]
    [InlineData(2_500)]
    [InlineData(5_000)]
    [InlineData(9_000)]
    public void Selected_share_is_within_one_percent_of_the_target(int shareBps)
    {
        var app = App(Doc.Rollout(RolloutId, "1.2.0", shareBps));
        var selected = Devices.Value.Count(d => Decide(app, d).InRollout);
        var fraction = (double)selected / PropertyDevices;
        Assert.InRange(fraction, (shareBps / 10_000.0) - 0.01, (shareBps / 10_000.0) + 0.01);
    }

    [Fact]
    public void Buckets_are_spread_evenly()
    {
        // Ten deciles, each within ±1 % (absolute) of 10 %.
        var deciles = new int[10];
        foreach (var bucket in Buckets(RolloutId))
        {
            deciles[bucket / 1_000]++;
        }

        Assert.All(deciles, n => Assert.InRange(n / (double)PropertyDevices, 0.09, 0.11));
    }

    [Fact]
    public void Two_rollout_ids_give_independent_orders()
    {
        var a = Buckets(RolloutId);
        var b = Buckets("9b7e4c1a-rollout-b");

        // Pearson correlation of the buckets: ~N(0, 1/√n) when independent, 1/√100000 ≈ 0.003.
        double meanA = a.Average(), meanB = b.Average();
        double cov = 0, varA = 0, varB = 0;
        for (var i = 0; i < a.Length; i++)
        {
            cov += (a[i] - meanA) * (b[i] - meanB);
            varA += (a[i] - meanA) * (a[i] - meanA);
            varB += (b[i] - meanB) * (b[i] - meanB);
        }

        var correlation = cov / Math.Sqrt(varA * varB);
        Assert.InRange(correlation, -0.02, 0.02);

        // The 25 % sets overlap like independent draws: 25 % × 25 % = 6.25 %.
        var both = 0;
        for (var i = 0; i < a.Length; i++)
        {
            if (RolloutBucket.IsIn(a[i], 2_500) && RolloutBucket.IsIn(b[i], 2_500))
            {
                both++;
            }
        }

        Assert.InRange(both / (double)PropertyDevices, 0.0525, 0.0725);

        // Not the same order shifted either: most devices change bucket.
        Assert.True(a.Zip(b).Count(p => p.First == p.Second) < PropertyDevices / 100);
    }

    /// <summary>
    /// Pinned vectors. XxHash3 (seed 0) is a specified algorithm and the input format is
    /// UTF-8(rollout id) ‖ 0x00 ‖ UTF-8(lower-case device id), bucket = hash mod 10000. These values were
    /// computed from the implementation when the format was fixed; they must never change, because every
    /// edge, on every machine and after every restart, must place a device in the same bucket. A change
    /// here means devices would silently move in or out of running rollouts.
    /// </summary>
    [Theory]
    [InlineData("2f1c7d0e-rollout-a", "00009a6b-eefe-490a-9c60-8e965132ae51", PinnedA1)]
    [InlineData("2f1c7d0e-rollout-a", "6f1c2b9a-4d3e-4a5b-9c8d-7e6f5a4b3c2d", PinnedA2)]
    [InlineData("2f1c7d0e-rollout-a", "6F1C2B9A-4D3E-4A5B-9C8D-7E6F5A4B3C2D", PinnedA2)]
    [InlineData("9b7e4c1a-rollout-b", "00009a6b-eefe-490a-9c60-8e965132ae51", PinnedB1)]
    [InlineData("r", "00000000-0000-0000-0000-000000000000", PinnedR0)]
    public void Bucket_format_is_pinned(string rolloutId, string deviceId, int expected) =>
        Assert.Equal(expected, RolloutBucket.Compute(rolloutId, deviceId));

    private const int PinnedA1 = 8832;
    private const int PinnedA2 = 2917;
    private const int PinnedB1 = 2904;
    private const int PinnedR0 = 9443;

    [Fact]
    public void Bucket_is_the_xxhash3_of_the_documented_input()
    {
        // An independent recomputation of the format, so the pinned values are explained, not magic.
        var input = System.Text.Encoding.UTF8.GetBytes("2f1c7d0e-rollout-a\0" + Requests.OtherDeviceId);
        var expected = (int)(System.IO.Hashing.XxHash3.HashToUInt64(input) % 10_000);
        Assert.Equal(expected, RolloutBucket.Compute("2f1c7d0e-rollout-a", Requests.OtherDeviceId.ToUpperInvariant()));
    }

    [Fact]
    public void Long_rollout_ids_use_the_same_format()
    {
        // Above the stack buffer the implementation rents an array; the format must not change.
        var id = new string('r', 400);
        var input = System.Text.Encoding.UTF8.GetBytes(id + "\0" + Requests.DeviceId);
        var expected = (int)(System.IO.Hashing.XxHash3.HashToUInt64(input) % 10_000);
        Assert.Equal(expected, RolloutBucket.Compute(id, Requests.DeviceId.ToUpperInvariant()));
    }
}

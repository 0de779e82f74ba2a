using System.Text.Json.Nodes;
using Capgo.Edge.ControlPlane.Releases;
using Capgo.Edge.Core;
using Capgo.Edge.Redis;
using Capgo.Edge.Tests.Support;

namespace Capgo.Edge.ControlPlane.Tests.Releases;

/// <summary>Release edits on the sample document; every result must still pass the edge's own parser.</summary>
public sealed class ReleaseEditsTests
{
    /// <summary>The sample app with no rollout running (its production channel has one).</summary>
    private static JsonObject Sample()
    {
        var document = JsonNode.Parse(Documents.Sample(withOverrides: false))!.AsObject();
        foreach (var channel in document["channels"]!.AsArray())
        {
            channel!.AsObject().Remove("rollout");
        }

        return document;
    }

    private static AppSnapshot Parse(JsonObject document) =>
        AppDocument.Parse(System.Text.Encoding.UTF8.GetBytes(document.ToJsonString()), 1);

    private static BundleSpec Bundle(string name, string checksum = "c0ffee00") =>
        new(name, $"https://cdn.example.com/com.demo.app/{name}.zip", checksum) { Comment = "notes" };

    [Fact]
    public void Adding_a_bundle_makes_it_available_to_channels()
    {
        var document = Sample();
        BundleEdits.Add(document, Bundle("2.0.0"));
        ChannelEdits.Set(document, "production", new ChannelPolicy(), bundle: "2.0.0");

        var snapshot = Parse(document);
        Assert.Equal("2.0.0", snapshot.ChannelsByName["production"].Bundle!.Name);
        Assert.Equal("c0ffee00", snapshot.Bundles["2.0.0"].Checksum);
    }

    [Fact]
    public void Adding_the_same_bundle_again_with_identical_content_changes_nothing()
    {
        var document = Sample();
        BundleEdits.Add(document, Bundle("2.0.0"));
        var once = document.DeepClone();

        BundleEdits.Add(document, Bundle("2.0.0"));

        Assert.True(JsonNode.DeepEquals(once, document));
    }

    [Fact]
    public void Adding_an_existing_name_with_other_content_is_refused_naming_what_differs()
    {
        var document = Sample();
        BundleEdits.Add(document, Bundle("2.0.0"));

        var error = Assert.Throws<PublishException>(() => BundleEdits.Add(document, Bundle("2.0.0", checksum: "deadbeef")));
        Assert.Contains("checksum", error.Message, StringComparison.Ordinal);
        Assert.Contains("immutable", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Deleting_a_bundle_in_use_is_refused_naming_its_users()
    {
        var document = Sample();
        BundleEdits.Add(document, Bundle("2.0.0"));
        ChannelEdits.Set(document, "beta", new ChannelPolicy(), bundle: "2.0.0");
        RolloutEdits.Start(document, "production", "2.0.0", 1000);

        var error = Assert.Throws<PublishException>(() => BundleEdits.Delete(document, "2.0.0"));
        Assert.Contains("channel beta", error.Message, StringComparison.Ordinal);
        Assert.Contains("rollout of channel production", error.Message, StringComparison.Ordinal);

        RolloutEdits.Abort(document, "production");
        ChannelEdits.Set(document, "beta", new ChannelPolicy(), bundle: "1.4.0");
        BundleEdits.Delete(document, "2.0.0");
        Assert.DoesNotContain("2.0.0", Parse(document).Bundles.Keys);
    }

    [Fact]
    public void Raising_a_rollout_keeps_its_id_so_every_device_in_it_stays()
    {
        var document = Sample();
        BundleEdits.Add(document, Bundle("2.0.0"));
        RolloutEdits.Start(document, "production", "2.0.0", 1000);
        var id = Parse(document).ChannelsByName["production"].Rollout!.Id;

        RolloutEdits.SetPercentage(document, "production", 5000);

        var rollout = Parse(document).ChannelsByName["production"].Rollout!;
        Assert.Equal(id, rollout.Id);
        Assert.Equal(5000, rollout.ShareBps);
    }

    [Fact]
    public void Promote_points_the_channel_at_the_rollouts_bundle_and_ends_it_abort_leaves_the_channel_as_it_was()
    {
        var document = Sample();
        BundleEdits.Add(document, Bundle("2.0.0"));
        var before = Parse(document).ChannelsByName["production"].Bundle?.Name;

        RolloutEdits.Start(document, "production", "2.0.0", 1000);
        RolloutEdits.Abort(document, "production");
        Assert.Equal(before, Parse(document).ChannelsByName["production"].Bundle?.Name);
        Assert.Null(Parse(document).ChannelsByName["production"].Rollout);

        RolloutEdits.Start(document, "production", "2.0.0", 1000);
        RolloutEdits.Pause(document, "production");
        Assert.True(Parse(document).ChannelsByName["production"].Rollout!.Paused);
        RolloutEdits.Resume(document, "production");
        RolloutEdits.Promote(document, "production");
        var channel = Parse(document).ChannelsByName["production"];
        Assert.Equal("2.0.0", channel.Bundle!.Name);
        Assert.Null(channel.Rollout);
    }

    [Fact]
    public void A_second_rollout_on_a_channel_or_one_past_100_percent_is_refused()
    {
        var document = Sample();
        RolloutEdits.Start(document, "production", "1.4.0", 1000);

        Assert.Throws<PublishException>(() => RolloutEdits.Start(document, "production", "1.4.0", 2000));
        Assert.Throws<PublishException>(() => RolloutEdits.SetPercentage(document, "production", 10_001));
        Assert.Throws<PublishException>(() => RolloutEdits.Pause(document, "beta"));
    }

    [Theory]
    [InlineData("12.5", 1250)]
    [InlineData("100", 10_000)]
    [InlineData("0", 0)]
    [InlineData("0.01", 1)]
    [InlineData("0.001", null)]
    [InlineData("100.5", null)]
    [InlineData("-1", null)]
    [InlineData("ten", null)]
    public void A_percentage_is_read_in_basis_points_to_two_decimals(string text, int? bps) =>
        Assert.Equal(bps, RolloutEdits.ParsePercent(text));

    [Fact]
    public void Channels_are_added_with_their_policy_set_to_builtin_and_deleted()
    {
        var document = Sample();
        ChannelEdits.Add(document, "canary", new ChannelPolicy { SelfAssign = true, Ios = false, DisableAutoUpdate = "minor" }, bundle: "1.4.0");
        Assert.Throws<PublishException>(() => ChannelEdits.Add(document, "canary", new ChannelPolicy()));

        var canary = Parse(document).ChannelsByName["canary"];
        Assert.True(canary.AllowDeviceSelfSet);
        Assert.False(canary.IsEnabledFor(Platform.Ios));
        Assert.Equal(AutoUpdatePolicy.Minor, canary.DisableAutoUpdate);

        ChannelEdits.Set(document, "canary", new ChannelPolicy { Ios = true }, bundle: ChannelEdits.Builtin);
        canary = Parse(document).ChannelsByName["canary"];
        Assert.Null(canary.Bundle);
        Assert.True(canary.IsEnabledFor(Platform.Ios));
        Assert.True(canary.AllowDeviceSelfSet);

        ChannelEdits.Delete(document, "canary");
        Assert.False(Parse(document).ChannelsByName.ContainsKey("canary"));
        Assert.Throws<PublishException>(() => ChannelEdits.Delete(document, "canary"));
    }
}

using System.Text.Json.Nodes;

namespace Capgo.Edge.Core.Tests;

/// <summary>projection.md §1: reading the app document, its defaults, and rejecting broken documents whole.</summary>
public class AppDocumentTests
{
    private static ProjectionException Reject(string json) =>
        Assert.Throws<ProjectionException>(() => Doc.Parse(json));

    private static ProjectionException Reject(JsonObject doc) => Reject(doc.ToJsonString());

    /// <summary>The example document of projection.md §1, made self-consistent (bundle 1.1.0 and channel beta added).</summary>
    private const string SpecExample = """
        {
          "app_id": "com.demo.app",
          "status": "active",
          "expose_metadata": false,
          "bundles": [
            {
              "name": "1.0.0",
              "url": "https://cdn.example.com/com.demo.app/1.0.0.zip",
              "checksum": "3885ee49",
              "session_key": "",
              "key_id": null,
              "min_update_version": null,
              "link": null,
              "comment": null,
              "deleted": false,
              "manifest": [
                {"file_name": "assets/app.js", "file_hash": "9f86d08", "download_url": "https://cdn.example.com/app.js"}
              ]
            },
            {"name": "1.1.0", "url": "https://cdn.example.com/com.demo.app/1.1.0.zip", "checksum": "aa", "key_id": "k1", "min_update_version": "1.0.0", "link": "https://l", "comment": "c"}
          ],
          "channels": [
            {
              "name": "production",
              "bundle": "1.0.0",
              "public": true,
              "allow_device_self_set": true,
              "ios": true, "android": true, "electron": false,
              "allow_emulator": true, "allow_device": true, "allow_dev": true, "allow_prod": true,
              "disable_auto_update": "major",
              "disable_auto_update_under_native": true,
              "rollout": {"id": "2f1c", "bundle": "1.1.0", "percentage_bps": 2500, "enabled": true, "paused": false}
            },
            {"name": "beta", "bundle": "1.1.0"}
          ],
          "device_overrides": {"00009a6b-eefe-490a-9c60-8e965132ae51": "beta"},
          "some_future_field": {"ignored": [1, 2, 3]}
        }
        """;

    [Theory]
    [InlineData("app_id")]
    [InlineData("bundle")]
    [InlineData("comment")]
    public void A_lone_surrogate_in_any_string_is_a_projection_error_not_a_crash(string where)
    {
        var json = where switch
        {
            "app_id" => SpecExample.Replace("\"com.demo.app\"", "\"com.demo.\\ud800app\"", StringComparison.Ordinal),
            "bundle" => SpecExample.Replace("\"bundle\": \"1.0.0\"", "\"bundle\": \"1.0\\udc00.0\"", StringComparison.Ordinal),
            _ => SpecExample.Replace("\"comment\": \"c\"", "\"comment\": \"\\ud83d\"", StringComparison.Ordinal),
        };
        Assert.NotEqual(SpecExample, json);

        var error = Reject(json);

        Assert.Contains("not valid Unicode", error.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Spec_example_is_read_field_by_field()
    {
        var app = Doc.Parse(SpecExample, generation: 42);
        Assert.Equal("com.demo.app", app.AppId);
        Assert.True(app.IsActive);
        Assert.Equal("active", app.Status);
        Assert.False(app.ExposeMetadata);
        Assert.Equal(42, app.Generation);
        Assert.Equal("42", app.GenerationText);

        var b100 = app.Bundles["1.0.0"];
        Assert.Equal("https://cdn.example.com/com.demo.app/1.0.0.zip", b100.Url);
        Assert.Equal("3885ee49", b100.Checksum);
        Assert.Equal("", b100.SessionKey);
        Assert.Null(b100.KeyId);
        Assert.Null(b100.MinUpdateVersionText);
        Assert.Null(b100.MinUpdateVersion);
        Assert.False(b100.Deleted);
        var file = Assert.Single(b100.Manifest);
        Assert.Equal(new ManifestFile("assets/app.js", "9f86d08", "https://cdn.example.com/app.js"), file);

        var b110 = app.Bundles["1.1.0"];
        Assert.Equal("k1", b110.KeyId);
        Assert.Equal("1.0.0", b110.MinUpdateVersionText);
        Assert.Equal(new SemVer(1, 0, 0), b110.MinUpdateVersion);
        Assert.Equal("https://l", b110.Link);
        Assert.Equal("c", b110.Comment);

        var production = app.ChannelsByName["production"];
        Assert.Same(b100, production.Bundle);
        Assert.True(production.IsPublic);
        Assert.True(production.AllowDeviceSelfSet);
        Assert.False(production.Electron);
        Assert.Equal(AutoUpdatePolicy.Major, production.DisableAutoUpdate);
        var rollout = Assert.IsType<Rollout>(production.Rollout);
        Assert.Equal("2f1c", rollout.Id);
        Assert.Same(b110, rollout.Bundle);
        Assert.Equal(2500, rollout.ShareBps);
        Assert.True(rollout.Enabled);
        Assert.False(rollout.Paused);

        Assert.True(app.TryGetOverride("00009A6B-EEFE-490A-9C60-8E965132AE51", out var pinned));
        Assert.Same(app.ChannelsByName["beta"], pinned);
        Assert.Equal(["beta", "production"], app.Channels.Select(c => c.Name));
        Assert.Same(production, app.PublicChannelFor(Platform.Ios));
        Assert.Same(production, app.PublicChannelFor(Platform.Android));
        Assert.Null(app.PublicChannelFor(Platform.Electron));
    }

    [Fact]
    public void Absent_fields_take_the_contract_defaults()
    {
        var app = Doc.Parse("""
            {"app_id": "com.demo.app",
             "bundles": [{"name": "1.0.0", "url": "https://x/1.zip"}],
             "channels": [{"name": "production", "bundle": "1.0.0"}]}
            """);
        Assert.Equal("active", app.Status);
        Assert.True(app.IsActive);
        Assert.False(app.ExposeMetadata);
        Assert.Equal(0, app.Overrides.Count);

        var bundle = app.Bundles["1.0.0"];
        Assert.Null(bundle.KeyId);
        Assert.Null(bundle.MinUpdateVersionText);
        Assert.Null(bundle.Link);
        Assert.Null(bundle.Comment);
        Assert.False(bundle.Deleted);
        Assert.Empty(bundle.Manifest);

        // Reply fields that are always present default to "".
        Assert.Equal("", bundle.Checksum);
        Assert.Equal("", bundle.SessionKey);

        var channel = app.ChannelsByName["production"];
        Assert.True(channel.Ios);
        Assert.True(channel.Android);
        Assert.True(channel.Electron);
        Assert.True(channel.AllowEmulator);
        Assert.True(channel.AllowDevice);
        Assert.True(channel.AllowDev);
        Assert.True(channel.AllowProd);
        Assert.True(channel.DisableAutoUpdateUnderNative);
        Assert.False(channel.IsPublic);
        Assert.False(channel.AllowDeviceSelfSet);
        Assert.Equal(AutoUpdatePolicy.Major, channel.DisableAutoUpdate);
        Assert.Null(channel.Rollout);
        Assert.Null(app.PublicChannelFor(Platform.Android));
    }

    [Fact]
    public void Explicit_false_flags_are_read()
    {
        var app = Doc.Parse("""
            {"app_id": "com.demo.app", "status": "cancelled", "expose_metadata": true,
             "bundles": [{"name": "1.0.0", "url": "https://x/1.zip", "deleted": true}],
             "channels": [{"name": "c", "bundle": null, "ios": false, "android": false, "electron": false,
                           "allow_emulator": false, "allow_device": false, "allow_dev": false, "allow_prod": false,
                           "disable_auto_update": "none", "disable_auto_update_under_native": false,
                           "rollout": {"id": "r", "bundle": "1.0.0", "percentage_bps": 0}}]}
            """);
        Assert.False(app.IsActive);
        Assert.Equal("cancelled", app.Status);
        Assert.True(app.ExposeMetadata);
        Assert.True(app.Bundles["1.0.0"].Deleted);
        var c = app.ChannelsByName["c"];
        Assert.Null(c.Bundle);
        Assert.True(c.IsVisible);
        Assert.False(c.Ios || c.Android || c.Electron || c.AllowEmulator || c.AllowDevice || c.AllowDev || c.AllowProd || c.DisableAutoUpdateUnderNative);
        Assert.Equal(AutoUpdatePolicy.None, c.DisableAutoUpdate);

        // Rollout flags default to enabled, not paused.
        Assert.True(c.Rollout!.Enabled);
        Assert.False(c.Rollout.Paused);
        Assert.False(c.Rollout.IsLive);
    }

    [Theory]
    [InlineData("none", AutoUpdatePolicy.None)]
    [InlineData("major", AutoUpdatePolicy.Major)]
    [InlineData("minor", AutoUpdatePolicy.Minor)]
    [InlineData("patch", AutoUpdatePolicy.Patch)]
    [InlineData("version_number", AutoUpdatePolicy.VersionNumber)]
    public void Disable_auto_update_values(string text, AutoUpdatePolicy expected) =>
        Assert.Equal(expected, Doc.Standard(policy: text).Snapshot().ChannelsByName["production"].DisableAutoUpdate);

    [Theory]
    [InlineData("{\"app_id\": ")]
    [InlineData("not json")]
    [InlineData("")]
    [InlineData("{\"app_id\": \"com.demo.app\",}")]
    public void Bad_json_is_rejected(string json) => Assert.Equal("$", Reject(json).Field);

    [Theory]
    [InlineData("[]")]
    [InlineData("\"com.demo.app\"")]
    [InlineData("null")]
    public void Root_must_be_an_object(string json) => Assert.Equal("$", Reject(json).Field);

    [Fact]
    public void Deep_nesting_is_rejected_not_crashing()
    {
        var json = "{\"app_id\": \"com.demo.app\", \"x\": " + new string('[', 100) + new string(']', 100) + "}";
        Assert.Equal("$", Reject(json).Field);
    }

    public static TheoryData<string, string> BrokenDocuments => new()
    {
        // field path expected, document
        { "app_id", """{"bundles": []}""" },
        { "app_id", """{"app_id": "eeforgrdemoapp"}""" },
        { "app_id", """{"app_id": 12}""" },
        { "status", """{"app_id": "com.demo.app", "status": 1}""" },
        { "expose_metadata", """{"app_id": "com.demo.app", "expose_metadata": "true"}""" },
        { "bundles", """{"app_id": "com.demo.app", "bundles": {}}""" },
        { "bundles[0]", """{"app_id": "com.demo.app", "bundles": ["1.0.0"]}""" },
        { "bundles[0].name", """{"app_id": "com.demo.app", "bundles": [{"url": "https://x"}]}""" },
        { "bundles[0].name", """{"app_id": "com.demo.app", "bundles": [{"name": "builtin", "url": "https://x"}]}""" },
        { "bundles[1].name", """{"app_id": "com.demo.app", "bundles": [{"name": "1.0.0"}, {"name": "unknown"}]}""" },
        { "bundles[1].name", """{"app_id": "com.demo.app", "bundles": [{"name": "1.0.0"}, {"name": "1.0.0"}]}""" },
        { "bundles[0].url", """{"app_id": "com.demo.app", "bundles": [{"name": "1.0.0", "url": 5}]}""" },
        { "bundles[0].deleted", """{"app_id": "com.demo.app", "bundles": [{"name": "1.0.0", "deleted": "no"}]}""" },
        { "bundles[0].min_update_version", """{"app_id": "com.demo.app", "bundles": [{"name": "1.0.0", "min_update_version": "1.0"}]}""" },
        { "bundles[0].manifest", """{"app_id": "com.demo.app", "bundles": [{"name": "1.0.0", "manifest": {}}]}""" },
        { "bundles[0].manifest[1].file_hash", """{"app_id": "com.demo.app", "bundles": [{"name": "1.0.0", "manifest": [{"file_name": "a", "file_hash": "h", "download_url": "u"}, {"file_name": "b", "download_url": "u"}]}]}""" },
        { "channels", """{"app_id": "com.demo.app", "channels": "production"}""" },
        { "channels[0].name", """{"app_id": "com.demo.app", "channels": [{"bundle": null}]}""" },
        { "channels[0].bundle", """{"app_id": "com.demo.app", "bundles": [{"name": "1.0.0"}], "channels": [{"name": "p", "bundle": "1.0.1"}]}""" },
        { "channels[0].bundle", """{"app_id": "com.demo.app", "channels": [{"name": "p", "bundle": 1}]}""" },
        { "channels[1].name", """{"app_id": "com.demo.app", "channels": [{"name": "p", "bundle": null}, {"name": "p", "bundle": null}]}""" },
        { "channels[0].public", """{"app_id": "com.demo.app", "channels": [{"name": "p", "bundle": null, "public": "yes"}]}""" },
        { "channels[0].ios", """{"app_id": "com.demo.app", "channels": [{"name": "p", "bundle": null, "ios": 1}]}""" },
        { "channels[0].disable_auto_update", """{"app_id": "com.demo.app", "channels": [{"name": "p", "bundle": null, "disable_auto_update": "always"}]}""" },
        { "channels[0].disable_auto_update", """{"app_id": "com.demo.app", "channels": [{"name": "p", "bundle": null, "disable_auto_update": "Major"}]}""" },
        { "channels[0].disable_auto_update", """{"app_id": "com.demo.app", "channels": [{"name": "p", "bundle": null, "disable_auto_update": false}]}""" },
        { "channels[1].public", """{"app_id": "com.demo.app", "channels": [{"name": "a", "bundle": null, "public": true}, {"name": "b", "bundle": null, "public": true, "android": false, "electron": false}]}""" },
        { "channels[0].rollout", """{"app_id": "com.demo.app", "channels": [{"name": "p", "bundle": null, "rollout": 5}]}""" },
        { "channels[0].rollout.id", """{"app_id": "com.demo.app", "bundles": [{"name": "1.0.0"}], "channels": [{"name": "p", "bundle": null, "rollout": {"bundle": "1.0.0", "percentage_bps": 1}}]}""" },
        { "channels[0].rollout.bundle", """{"app_id": "com.demo.app", "bundles": [{"name": "1.0.0"}], "channels": [{"name": "p", "bundle": null, "rollout": {"id": "r", "bundle": "1.1.0", "percentage_bps": 1}}]}""" },
        { "channels[0].rollout.bundle", """{"app_id": "com.demo.app", "channels": [{"name": "p", "bundle": null, "rollout": {"id": "r", "percentage_bps": 1}}]}""" },
        { "channels[0].rollout.enabled", """{"app_id": "com.demo.app", "bundles": [{"name": "1.0.0"}], "channels": [{"name": "p", "bundle": null, "rollout": {"id": "r", "bundle": "1.0.0", "percentage_bps": 1, "enabled": "yes"}}]}""" },
        { "channels[0].rollout.paused", """{"app_id": "com.demo.app", "bundles": [{"name": "1.0.0"}], "channels": [{"name": "p", "bundle": null, "rollout": {"id": "r", "bundle": "1.0.0", "percentage_bps": 1, "paused": 0}}]}""" },
        { "device_overrides", """{"app_id": "com.demo.app", "device_overrides": []}""" },
        { "device_overrides[\"00009a6b-eefe-490a-9c60-8e965132ae51\"]", """{"app_id": "com.demo.app", "channels": [{"name": "p", "bundle": null}], "device_overrides": {"00009a6b-eefe-490a-9c60-8e965132ae51": "beta"}}""" },
        { "device_overrides[\"00009a6b-eefe-490a-9c60-8e965132ae51\"]", """{"app_id": "com.demo.app", "channels": [{"name": "p", "bundle": null}], "device_overrides": {"00009a6b-eefe-490a-9c60-8e965132ae51": 3}}""" },
        { "device_overrides[\"not-a-device\"]", """{"app_id": "com.demo.app", "channels": [{"name": "p", "bundle": null}], "device_overrides": {"not-a-device": "p"}}""" },
        { "device_overrides[\"00009A6B-EEFE-490A-9C60-8E965132AE51\"]", """{"app_id": "com.demo.app", "channels": [{"name": "p", "bundle": null}], "device_overrides": {"00009a6b-eefe-490a-9c60-8e965132ae51": "p", "00009A6B-EEFE-490A-9C60-8E965132AE51": "p"}}""" },
    };

    [Theory]
    [MemberData(nameof(BrokenDocuments))]
    public void Broken_document_is_rejected_naming_the_field(string field, string json)
    {
        var error = Reject(json);
        Assert.Equal(field, error.Field);
        Assert.False(string.IsNullOrWhiteSpace(error.Problem));
        Assert.StartsWith(field + ": ", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("-1")]
    [InlineData("10001")]
    [InlineData("2500.5")]
    [InlineData("\"2500\"")]
    [InlineData("null")]
    [InlineData("true")]
    [InlineData("99999999999")]
    public void Percentage_bps_out_of_range_or_wrong_type_is_rejected(string value)
    {
        var json = """{"app_id": "com.demo.app", "bundles": [{"name": "1.0.0"}], "channels": [{"name": "p", "bundle": null, "rollout": {"id": "r", "bundle": "1.0.0", "percentage_bps": VALUE}}]}"""
            .Replace("VALUE", value, StringComparison.Ordinal);
        Assert.Equal("channels[0].rollout.percentage_bps", Reject(json).Field);
    }

    [Fact]
    public void Missing_percentage_bps_is_rejected() =>
        Assert.Equal(
            "channels[0].rollout.percentage_bps",
            Reject("""{"app_id": "com.demo.app", "bundles": [{"name": "1.0.0"}], "channels": [{"name": "p", "bundle": null, "rollout": {"id": "r", "bundle": "1.0.0"}}]}""").Field);

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(10_000)]
    public void Percentage_bps_bounds_are_accepted(int share) =>
        Assert.Equal(share, Doc.Standard().Set("channels", new JsonArray(Doc.Channel("p", "1.0.0").Set("rollout", Doc.Rollout("r", "1.1.0", share)))).Snapshot().ChannelsByName["p"].Rollout!.ShareBps);

    [Fact]
    public void Public_channels_for_different_platforms_are_accepted()
    {
        var app = Doc.App()
            .WithChannels(
                Doc.Channel("a", null, isPublic: true).Set("ios", false),
                Doc.Channel("b", null, isPublic: true).Set("android", false).Set("electron", false))
            .Snapshot();
        Assert.Equal("b", app.PublicChannelFor(Platform.Ios)?.Name);
        Assert.Equal("a", app.PublicChannelFor(Platform.Android)?.Name);
        Assert.Equal("a", app.PublicChannelFor(Platform.Electron)?.Name);
    }

    [Fact]
    public void Two_public_channels_for_one_platform_are_rejected_even_when_one_is_deleted()
    {
        var doc = Doc.App()
            .WithBundles(Doc.Bundle("1.0.0").Set("deleted", true))
            .WithChannels(Doc.Channel("a", "1.0.0", isPublic: true), Doc.Channel("b", null, isPublic: true).Set("android", false));
        Assert.Equal("channels[1].public", Reject(doc).Field);
    }

    [Fact]
    public void Deleted_bundle_stays_referable_but_hides_its_channel()
    {
        var app = Doc.App()
            .WithBundles(Doc.Bundle("1.0.0").Set("deleted", true))
            .WithChannels(Doc.Channel("production", "1.0.0", isPublic: true))
            .WithOverride(Requests.DeviceId, "production")
            .Snapshot();
        Assert.False(app.ChannelsByName["production"].IsVisible);
        Assert.Null(app.PublicChannelFor(Platform.Android));
    }

    [Fact]
    public void Rejected_document_leaves_the_store_unchanged()
    {
        var store = new ProjectionStore();
        Assert.True(store.TryApply(Doc.Standard().Snapshot(generation: 1)));
        var broken = Doc.Standard().WithOverride(Requests.DeviceId, "nope").ToJsonString();
        Assert.Throws<ProjectionException>(() => store.TryApply(Doc.Parse(broken, generation: 2)));
        Assert.Equal(1, store.Find(Requests.AppId)!.Generation);
    }

    [Fact]
    public void With_overrides_keeps_the_content_and_generation()
    {
        var app = Doc.Standard().Snapshot(generation: 3);
        var channel = app.Channels[0].Name;
        var map = new DeviceOverrides();
        map.Set(Requests.DeviceId, channel);
        var next = app.WithOverrides(map);
        Assert.Equal(3, next.Generation);
        Assert.Equal("3", next.GenerationText);
        Assert.Same(app.Bundles, next.Bundles);
        Assert.Same(map, next.Overrides);
        Assert.Same(app.PublicChannelFor(Platform.Ios), next.PublicChannelFor(Platform.Ios));
        Assert.True(next.TryGetOverride(Requests.DeviceId.ToUpperInvariant(), out var pinned));
        Assert.Equal(channel, pinned.Name);
    }
}

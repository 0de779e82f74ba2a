using System.Text.Json.Nodes;

namespace Capgo.Edge.Core.Tests;

/// <summary>update-check.md §2: every rule and outcome of the decision, in order.</summary>
public class UpdateDeciderTests
{
    private static UpdateDecision Decide(AppSnapshot? app, UpdateCheck check) => UpdateDecider.Decide(app, check);

    private static void AssertOutcome(UpdateDecision decision, UpdateCheck check, string code, string message, string? kind)
    {
        Assert.Equal(code, Outcomes.Code(decision.Outcome));
        Assert.Equal(message, Outcomes.Message(decision, check));
        Assert.Equal(kind, Outcomes.KindName(decision.Kind));
    }

    private static void AssertOffer(UpdateDecision decision, string version)
    {
        Assert.Equal(Outcome.UpdateAvailable, decision.Outcome);
        Assert.Equal(OutcomeKind.None, decision.Kind);
        Assert.Equal("", Outcomes.Code(decision.Outcome));
        Assert.NotNull(decision.Bundle);
        Assert.Equal(version, decision.Bundle.Name);
        Assert.Equal(version, decision.Version);
    }

    // ---- 1. App known and active ----

    [Fact]
    public void Unknown_app_is_on_premise_app_without_kind()
    {
        var check = Requests.Check();
        var decision = Decide(null, check);
        Assert.Equal(Outcome.OnPremiseApp, decision.Outcome);
        AssertOutcome(decision, check, "on_premise_app", "On-premise app detected", null);
    }

    [Theory]
    [InlineData("cancelled")]
    [InlineData("quota_exceeded")]
    [InlineData("Active")]
    public void Inactive_app_is_on_premise_app(string status)
    {
        var app = Doc.Standard().Set("status", status).Snapshot();
        Assert.False(app.IsActive);
        var check = Requests.Check();
        var decision = Decide(app, check);
        AssertOutcome(decision, check, "on_premise_app", "On-premise app detected", null);
    }

    [Fact]
    public void Inactive_app_is_refused_before_the_plugin_version()
    {
        var app = Doc.Standard().Set("status", "cancelled").Snapshot();
        Assert.Equal(Outcome.OnPremiseApp, Decide(app, Requests.Check(pluginVersion: "4.1.0")).Outcome);
    }

    // ---- 2. Plugin major 4 ----

    [Theory]
    [InlineData("4.0.0")]
    [InlineData("4.17.3")]
    [InlineData("4.99.99-beta.1")]
    public void Plugin_major_4_is_unsupported(string pluginVersion)
    {
        var check = Requests.Check(pluginVersion: pluginVersion);
        var decision = Decide(Doc.Standard().Snapshot(), check);
        AssertOutcome(
            decision,
            check,
            "unsupported_plugin_version",
            $"Plugin version {pluginVersion} (v4) is no longer supported. Please upgrade to v5.10.0 or later.",
            "failed");
    }

    [Theory]
    [InlineData("3.9.0")]
    [InlineData("2.0.0")]
    [InlineData("5.0.0")]
    [InlineData("5.2.1")]
    [InlineData("6.0.0")]
    public void Other_plugin_majors_are_not_rejected(string pluginVersion) =>
        AssertOffer(Decide(Doc.Standard().Snapshot(), Requests.Check(pluginVersion: pluginVersion)), "1.1.0");

    [Fact]
    public void Plugin_major_4_is_refused_before_the_channel()
    {
        var app = Doc.App().WithBundles(Doc.Bundle("1.0.0")).Snapshot();
        Assert.Equal(Outcome.UnsupportedPluginVersion, Decide(app, Requests.Check(pluginVersion: "4.5.0")).Outcome);
    }

    // ---- 3. Channel ----

    [Fact]
    public void No_public_channel_is_no_channel()
    {
        var app = Doc.App().WithBundles(Doc.Bundle("1.1.0")).WithChannels(Doc.Channel("beta", "1.1.0")).Snapshot();
        var check = Requests.Check();
        var decision = Decide(app, check);
        AssertOutcome(decision, check, "no_channel", "no default channel or override", "failed");
        Assert.Null(decision.Channel);
    }

    [Fact]
    public void Public_channel_is_used_without_default_channel()
    {
        var decision = Decide(Doc.Standard().Snapshot(), Requests.Check());
        AssertOffer(decision, "1.1.0");
        Assert.Equal("production", decision.Channel?.Name);
        Assert.Equal(ChannelSource.Public, decision.Source);
    }

    private static JsonObject PerPlatformApp() =>
        Doc.App()
            .WithBundles(Doc.Bundle("1.1.0"), Doc.Bundle("1.2.0"), Doc.Bundle("1.3.0"), Doc.Bundle("1.4.0"))
            .WithChannels(
                Doc.Channel("prod-android", "1.1.0", isPublic: true).Set("ios", false).Set("electron", false),
                Doc.Channel("prod-ios", "1.2.0", isPublic: true).Set("android", false).Set("electron", false),
                Doc.Channel("beta", "1.3.0").Set("allow_device_self_set", true).Set("ios", false),
                Doc.Channel("internal", "1.4.0"));

    [Theory]
    [InlineData("android", "prod-android", "1.1.0")]
    [InlineData("ios", "prod-ios", "1.2.0")]
    public void Public_channel_is_chosen_per_platform(string platform, string channel, string version)
    {
        var decision = Decide(PerPlatformApp().Snapshot(), Requests.Check(platform: platform));
        AssertOffer(decision, version);
        Assert.Equal(channel, decision.Channel?.Name);
        Assert.Equal(ChannelSource.Public, decision.Source);
    }

    [Fact]
    public void No_public_channel_for_the_platform_is_no_channel() =>
        Assert.Equal(Outcome.NoChannel, Decide(PerPlatformApp().Snapshot(), Requests.Check(platform: "electron")).Outcome);

    [Theory]
    [InlineData("android", "beta", "1.3.0")] // private but self-assignable
    [InlineData("android", "prod-android", "1.1.0")] // public
    [InlineData("ios", "prod-ios", "1.2.0")]
    public void Default_channel_names_a_self_assignable_or_public_channel(string platform, string name, string version)
    {
        var decision = Decide(PerPlatformApp().Snapshot(), Requests.Check(platform: platform, defaultChannel: name));
        AssertOffer(decision, version);
        Assert.Equal(name, decision.Channel?.Name);
        Assert.Equal(ChannelSource.DefaultChannel, decision.Source);
    }

    [Theory]
    [InlineData("android", "internal")] // private, not self-assignable: no fallback to the public channel
    [InlineData("ios", "beta")] // self-assignable but disabled for ios
    [InlineData("android", "prod-ios")] // public, but only for ios
    [InlineData("android", "does-not-exist")]
    [InlineData("android", "Beta")] // names are exact
    public void Default_channel_that_does_not_qualify_is_no_channel_with_no_fallback(string platform, string name)
    {
        var check = Requests.Check(platform: platform, defaultChannel: name);
        var decision = Decide(PerPlatformApp().Snapshot(), check);
        AssertOutcome(decision, check, "no_channel", "no default channel or override", "failed");
    }

    [Fact]
    public void Default_channel_whose_bundle_is_deleted_is_no_channel()
    {
        var app = Doc.Standard()
            .WithBundles(Doc.Bundle("3.0.0").Set("deleted", true))
            .WithChannels(Doc.Channel("beta", "3.0.0").Set("allow_device_self_set", true))
            .Snapshot();
        Assert.Equal(Outcome.NoChannel, Decide(app, Requests.Check(defaultChannel: "beta")).Outcome);
    }

    [Fact]
    public void Public_channel_whose_bundle_is_deleted_is_invisible()
    {
        var app = Doc.App()
            .WithBundles(Doc.Bundle("1.1.0").Set("deleted", true))
            .WithChannels(Doc.Channel("production", "1.1.0", isPublic: true))
            .Snapshot();
        Assert.Equal(Outcome.NoChannel, Decide(app, Requests.Check()).Outcome);
    }

    private static JsonObject OverrideApp() =>
        Doc.Standard()
            .WithBundles(Doc.Bundle("3.0.0").Set("deleted", true), Doc.Bundle("1.0.5"))
            .WithChannels(
                Doc.Channel("qa", "1.2.0"), // private, not self-assignable
                Doc.Channel("beta", "1.0.5").Set("allow_device_self_set", true),
                Doc.Channel("gone", "3.0.0"),
                Doc.Channel("ios-only", "1.2.0").Set("android", false));

    [Fact]
    public void Override_wins_over_public_channel_and_ignores_public_and_self_assign_flags()
    {
        var app = OverrideApp().WithOverride(Requests.DeviceId, "qa").Snapshot();
        var decision = Decide(app, Requests.Check());
        AssertOffer(decision, "1.2.0");
        Assert.Equal("qa", decision.Channel?.Name);
        Assert.Equal(ChannelSource.Override, decision.Source);
    }

    [Fact]
    public void Override_wins_over_default_channel()
    {
        var app = OverrideApp().WithOverride(Requests.DeviceId, "qa").Snapshot();
        var decision = Decide(app, Requests.Check(defaultChannel: "beta"));
        Assert.Equal("qa", decision.Channel?.Name);
        Assert.Equal(ChannelSource.Override, decision.Source);
    }

    [Fact]
    public void Override_lookup_ignores_device_id_case()
    {
        var app = OverrideApp().WithOverride(Requests.DeviceId, "qa").Snapshot();
        var decision = Decide(app, Requests.Check(deviceId: Requests.DeviceId.ToUpperInvariant()));
        Assert.Equal("qa", decision.Channel?.Name);
        Assert.Equal(ChannelSource.Override, decision.Source);
    }

    [Fact]
    public void Override_applies_only_to_its_device()
    {
        var app = OverrideApp().WithOverride(Requests.DeviceId, "qa").Snapshot();
        var decision = Decide(app, Requests.Check(deviceId: Requests.OtherDeviceId));
        Assert.Equal("production", decision.Channel?.Name);
        Assert.Equal(ChannelSource.Public, decision.Source);
    }

    [Fact]
    public void Override_to_a_channel_whose_bundle_is_deleted_falls_back_to_the_public_channel()
    {
        var app = OverrideApp().WithOverride(Requests.DeviceId, "gone").Snapshot();
        var decision = Decide(app, Requests.Check());
        AssertOffer(decision, "1.1.0");
        Assert.Equal("production", decision.Channel?.Name);
        Assert.Equal(ChannelSource.Public, decision.Source);
    }

    [Fact]
    public void Override_to_a_channel_whose_bundle_is_deleted_falls_back_to_default_channel()
    {
        var app = OverrideApp().WithOverride(Requests.DeviceId, "gone").Snapshot();
        var decision = Decide(app, Requests.Check(defaultChannel: "beta"));
        Assert.Equal("beta", decision.Channel?.Name);
        Assert.Equal(ChannelSource.DefaultChannel, decision.Source);

        // …with no fallback from a default channel that does not qualify.
        Assert.Equal(Outcome.NoChannel, Decide(app, Requests.Check(defaultChannel: "qa")).Outcome);
    }

    [Fact]
    public void Override_ignores_platform_flag_and_is_then_blocked_by_the_platform_policy()
    {
        var app = OverrideApp().WithOverride(Requests.DeviceId, "ios-only").Snapshot();
        var check = Requests.Check(versionName: "1.0.1");
        var decision = Decide(app, check);
        Assert.Equal("ios-only", decision.Channel?.Name);
        AssertOutcome(decision, check, "disabled_platform_android", "Cannot update, android is disabled", "blocked");
        Assert.Equal("1.2.0", decision.Version);
        Assert.Equal("1.0.1", decision.Old);
        Assert.False(decision.Major);
    }

    // ---- 4/7. V and up to date ----

    [Fact]
    public void Same_version_is_no_new_version_available()
    {
        var check = Requests.Check(versionName: "1.1.0");
        var decision = Decide(Doc.Standard().Snapshot(), check);
        AssertOutcome(decision, check, "no_new_version_available", "No new version available", "up_to_date");
    }

    [Theory]
    [InlineData("v1.1.0")]
    [InlineData("1.1.0+build")]
    [InlineData("1.1")]
    public void Up_to_date_is_plain_string_equality(string versionName) =>
        AssertOffer(Decide(Doc.Standard().Snapshot(), Requests.Check(versionName: versionName)), "1.1.0");

    [Fact]
    public void Channel_pointing_to_an_older_bundle_offers_the_downgrade()
    {
        // VB 1.0.0, device runs 1.2.0, channel re-pointed to 1.1.0: roll back.
        var decision = Decide(Doc.Standard("1.1.0").Snapshot(), Requests.Check(versionName: "1.2.0"));
        AssertOffer(decision, "1.1.0");
    }

    [Fact]
    public void Non_semver_bundle_names_are_offered()
    {
        var app = Doc.App().WithBundles(Doc.Bundle("release-42")).WithChannels(Doc.Channel("production", "release-42", isPublic: true)).Snapshot();
        AssertOffer(Decide(app, Requests.Check()), "release-42");
        Assert.Equal(Outcome.NoNewVersionAvailable, Decide(app, Requests.Check(versionName: "release-42")).Outcome);
    }

    // ---- 5. No downloadable bundle ----

    [Fact]
    public void Bundle_without_url_or_manifest_is_no_bundle()
    {
        var app = Doc.Standard("1.1.0")
            .WithBundles(Doc.Bundle("1.5.0").Set("url", null), Doc.Bundle("1.6.0").Set("url", "").Set("manifest", new JsonArray()))
            .WithChannels(Doc.Channel("a", "1.5.0").Set("allow_device_self_set", true), Doc.Channel("b", "1.6.0").Set("allow_device_self_set", true))
            .Snapshot();
        foreach (var channel in new[] { "a", "b" })
        {
            var check = Requests.Check(defaultChannel: channel);
            AssertOutcome(Decide(app, check), check, "no_bundle", "Cannot get bundle", "failed");
        }
    }

    [Fact]
    public void No_bundle_comes_before_up_to_date()
    {
        var app = Doc.App().WithBundles(Doc.Bundle("1.5.0").Set("url", null)).WithChannels(Doc.Channel("production", "1.5.0", isPublic: true)).Snapshot();
        Assert.Equal(Outcome.NoBundle, Decide(app, Requests.Check(versionName: "1.5.0")).Outcome);
    }

    // ---- 6. Encryption key mismatch ----

    private static AppSnapshot EncryptedApp(string? bundleKeyId = "bundlekey") =>
        Doc.App()
            .WithBundles(Doc.Bundle("1.1.0").Set("key_id", bundleKeyId).Set("session_key", "iv:key"))
            .WithChannels(Doc.Channel("production", "1.1.0", isPublic: true))
            .Snapshot();

    [Theory]
    [InlineData("8.40.8")]
    [InlineData("8.41.0")]
    [InlineData("9.0.0")]
    public void Different_key_ids_on_a_new_plugin_are_key_id_mismatch(string pluginVersion)
    {
        var check = Requests.Check(pluginVersion: pluginVersion, keyId: "devicekey");
        var decision = Decide(EncryptedApp(), check);
        Assert.Equal(Outcome.KeyIdMismatch, decision.Outcome);
        Assert.Equal("key_id_mismatch", Outcomes.Code(decision.Outcome));
        Assert.Equal("blocked", Outcomes.KindName(decision.Kind));
        Assert.False(string.IsNullOrEmpty(Outcomes.Message(decision, check)));

        // The reply carries both ids: the device's from the check, the bundle's from V.
        Assert.Equal("devicekey", check.KeyId);
        Assert.Equal("bundlekey", decision.Bundle?.KeyId);
    }

    [Theory]
    [InlineData("8.40.7", "devicekey", "bundlekey")] // boundary: not newer than 8.40.7
    [InlineData("8.40.8-beta.1", "devicekey", null)]
    [InlineData("8.51.23", "", "bundlekey")] // iOS empty key_id means unset
    [InlineData("8.51.23", null, "bundlekey")]
    [InlineData("8.51.23", "devicekey", null)]
    [InlineData("8.51.23", "devicekey", "")]
    [InlineData("8.51.23", "samekey", "samekey")]
    public void Key_ids_that_do_not_conflict_are_offered(string pluginVersion, string? deviceKey, string? bundleKey) =>
        AssertOffer(Decide(EncryptedApp(bundleKey), Requests.Check(pluginVersion: pluginVersion, keyId: deviceKey)), "1.1.0");

    [Fact]
    public void Key_id_mismatch_comes_before_up_to_date()
    {
        var decision = Decide(EncryptedApp(), Requests.Check(versionName: "1.1.0", keyId: "devicekey"));
        Assert.Equal(Outcome.KeyIdMismatch, decision.Outcome);
    }

    [Fact]
    public void Key_id_is_compared_exactly()
    {
        var decision = Decide(EncryptedApp("ABC"), Requests.Check(keyId: "abc"));
        Assert.Equal(Outcome.KeyIdMismatch, decision.Outcome);
    }

    // ---- 8. Channel policies ----

    /// <summary>
    /// One policy case: channel settings, the bundle V, the device (VN, VB, is_prod, is_emulator), and
    /// the expected outcome with its version/old/major fields ("VN"/"VB"/"V" name the request values).
    /// </summary>
    public sealed record PolicyCase(
        string Name,
        string Policy,
        string V,
        string VersionName,
        string VersionBuild,
        Outcome Expected,
        string? Old,
        bool Major,
        bool UnderNative = true,
        bool? IsProd = null,
        bool? IsEmulator = null,
        string[]? ChannelFlagsOff = null,
        string? MinUpdateVersion = null)
    {
        public override string ToString() => Name;
    }

    private static readonly PolicyCase[] PolicyCases =
    [
        new("major blocks a higher major", "major", "2.0.0", "1.2.5", "1.2.0", Outcome.DisableAutoUpdateToMajor, "VB", true),
        new("major allows a minor", "major", "1.3.0", "1.2.5", "1.2.0", Outcome.UpdateAvailable, null, false),
        new("major allows a lower major (under-native off)", "major", "0.9.0", "1.2.5", "1.2.0", Outcome.UpdateAvailable, null, false, UnderNative: false),
        new("major compares with VB, not VN", "major", "2.0.0", "1.9.0", "2.0.0", Outcome.UpdateAvailable, null, false),
        new("minor blocks a higher minor", "minor", "1.3.0", "1.2.5", "1.2.0", Outcome.DisableAutoUpdateToMinor, "VB", true),
        new("minor blocks a lower minor", "minor", "1.1.0", "1.2.5", "1.2.0", Outcome.DisableAutoUpdateToMinor, "VB", true, UnderNative: false),
        new("minor blocks a higher major", "minor", "2.2.0", "1.2.5", "1.2.0", Outcome.DisableAutoUpdateToMinor, "VB", true),
        new("minor allows a patch", "minor", "1.2.7", "1.2.5", "1.2.0", Outcome.UpdateAvailable, null, false),
        new("patch blocks a higher patch", "patch", "1.2.1", "1.2.5", "1.2.0", Outcome.DisableAutoUpdateToPatch, "VB", true),
        new("patch blocks a lower patch", "patch", "1.2.0", "1.2.5", "1.2.1", Outcome.DisableAutoUpdateToPatch, "VB", true, UnderNative: false),
        new("patch blocks a higher minor", "patch", "1.3.0", "1.2.5", "1.2.0", Outcome.DisableAutoUpdateToPatch, "VB", true),
        new("patch allows the same X.Y.Z", "patch", "1.2.0", "1.2.0-hotfix", "1.2.0", Outcome.UpdateAvailable, null, false),
        new("version_number without min is misconfigured", "version_number", "1.3.0", "1.2.5", "1.2.0", Outcome.MisconfiguredChannel, null, false),
        new("version_number min above VB blocks", "version_number", "1.3.0", "1.2.5", "1.2.0", Outcome.DisableAutoUpdateToMetadata, "VB", true, MinUpdateVersion: "1.2.1"),
        new("version_number min equal to VB allows", "version_number", "1.3.0", "1.2.5", "1.2.0", Outcome.UpdateAvailable, null, false, MinUpdateVersion: "1.2.0"),
        new("version_number min below VB allows a major", "version_number", "2.0.0", "1.2.5", "1.2.0", Outcome.UpdateAvailable, null, false, MinUpdateVersion: "1.0.0"),
        new("none allows a major", "none", "2.0.0", "1.2.5", "1.2.0", Outcome.UpdateAvailable, null, false),
        new("under-native blocks V below VB", "none", "1.1.0", "1.2.5", "1.2.0", Outcome.DisableAutoUpdateUnderNative, "VN", false),
        new("under-native compares semver, pre-release below", "none", "1.2.0-rc.1", "1.2.5", "1.2.0", Outcome.DisableAutoUpdateUnderNative, "VN", false),
        new("under-native allows V equal to VB", "none", "1.2.0", "1.2.5", "1.2.0", Outcome.UpdateAvailable, null, false),
        new("under-native off allows V below VB", "none", "1.1.0", "1.2.5", "1.2.0", Outcome.UpdateAvailable, null, false, UnderNative: false),
        new("prod build disabled", "none", "1.3.0", "1.2.5", "1.2.0", Outcome.DisableProdBuild, "VN", false, ChannelFlagsOff: ["allow_prod"]),
        new("prod build disabled, is_prod default true", "none", "1.3.0", "1.2.5", "1.2.0", Outcome.DisableProdBuild, "VN", false, IsProd: true, ChannelFlagsOff: ["allow_prod"]),
        new("prod disabled does not block dev builds", "none", "1.3.0", "1.2.5", "1.2.0", Outcome.UpdateAvailable, null, false, IsProd: false, ChannelFlagsOff: ["allow_prod"]),
        new("dev build disabled", "none", "1.3.0", "1.2.5", "1.2.0", Outcome.DisableDevBuild, "VN", false, IsProd: false, ChannelFlagsOff: ["allow_dev"]),
        new("dev disabled does not block prod builds", "none", "1.3.0", "1.2.5", "1.2.0", Outcome.UpdateAvailable, null, false, ChannelFlagsOff: ["allow_dev"]),
        new("device disabled", "none", "1.3.0", "1.2.5", "1.2.0", Outcome.DisableDevice, "VN", false, ChannelFlagsOff: ["allow_device"]),
        new("device disabled does not block emulators", "none", "1.3.0", "1.2.5", "1.2.0", Outcome.UpdateAvailable, null, false, IsEmulator: true, ChannelFlagsOff: ["allow_device"]),
        new("emulator disabled", "none", "1.3.0", "1.2.5", "1.2.0", Outcome.DisableEmulator, "VN", false, IsEmulator: true, ChannelFlagsOff: ["allow_emulator"]),
        new("emulator disabled does not block devices", "none", "1.3.0", "1.2.5", "1.2.0", Outcome.UpdateAvailable, null, false, ChannelFlagsOff: ["allow_emulator"]),

        // Order: the first failing policy wins.
        new("order: major before under-native and flags", "major", "2.0.0", "1.2.5", "1.2.0", Outcome.DisableAutoUpdateToMajor, "VB", true, ChannelFlagsOff: ["allow_prod", "allow_device"]),
        new("order: minor before prod", "minor", "1.1.0", "1.2.5", "1.2.0", Outcome.DisableAutoUpdateToMinor, "VB", true, ChannelFlagsOff: ["allow_prod"]),
        new("order: metadata before under-native", "version_number", "1.1.0", "1.2.5", "1.2.0", Outcome.DisableAutoUpdateToMetadata, "VB", true, MinUpdateVersion: "1.3.0"),
        new("order: misconfigured before prod", "version_number", "1.3.0", "1.2.5", "1.2.0", Outcome.MisconfiguredChannel, null, false, ChannelFlagsOff: ["allow_prod"]),
        new("order: under-native before prod", "none", "1.1.0", "1.2.5", "1.2.0", Outcome.DisableAutoUpdateUnderNative, "VN", false, ChannelFlagsOff: ["allow_prod", "allow_dev", "allow_device", "allow_emulator"]),
        new("order: prod before device", "none", "1.3.0", "1.2.5", "1.2.0", Outcome.DisableProdBuild, "VN", false, ChannelFlagsOff: ["allow_prod", "allow_device"]),
        new("order: dev before emulator", "none", "1.3.0", "1.2.5", "1.2.0", Outcome.DisableDevBuild, "VN", false, IsProd: false, IsEmulator: true, ChannelFlagsOff: ["allow_dev", "allow_emulator"]),
        new("order: device before emulator check", "none", "1.3.0", "1.2.5", "1.2.0", Outcome.DisableDevice, "VN", false, ChannelFlagsOff: ["allow_device", "allow_emulator"]),
    ];

    /// <summary>Case names only, so each case is discovered and reported on its own.</summary>
    public static TheoryData<string> Policies => new(PolicyCases.Select(c => c.Name));

    private static readonly Dictionary<Outcome, (string Code, string Message)> BlockedMessages = new()
    {
        [Outcome.DisableAutoUpdateToMajor] = ("disable_auto_update_to_major", "Cannot upgrade major version"),
        [Outcome.DisableAutoUpdateToMinor] = ("disable_auto_update_to_minor", "Cannot upgrade minor version"),
        [Outcome.DisableAutoUpdateToPatch] = ("disable_auto_update_to_patch", "Cannot upgrade patch version"),
        [Outcome.DisableAutoUpdateToMetadata] = ("disable_auto_update_to_metadata", "Cannot upgrade version, min update version > current version"),
        [Outcome.DisableAutoUpdateUnderNative] = ("disable_auto_update_under_native", "Cannot revert under native version"),
        [Outcome.DisableProdBuild] = ("disable_prod_build", "Cannot update, prod build is disabled"),
        [Outcome.DisableDevBuild] = ("disable_dev_build", "Cannot update, dev build is disabled"),
        [Outcome.DisableDevice] = ("disable_device", "Cannot update, device is disabled"),
        [Outcome.DisableEmulator] = ("disable_emulator", "Cannot update, emulator is disabled"),
    };

    [Theory]
    [MemberData(nameof(Policies))]
    public void Channel_policies(string name)
    {
        var c = PolicyCases.Single(p => p.Name == name);
        var channel = Doc.Channel("production", c.V, isPublic: true, policy: c.Policy).Set("disable_auto_update_under_native", c.UnderNative);
        foreach (var flag in c.ChannelFlagsOff ?? [])
        {
            channel.Set(flag, false);
        }

        var app = Doc.App().WithBundles(Doc.Bundle(c.V).Set("min_update_version", c.MinUpdateVersion)).WithChannels(channel).Snapshot();
        var check = Requests.Check(versionName: c.VersionName, versionBuild: c.VersionBuild, isProd: c.IsProd, isEmulator: c.IsEmulator);
        var decision = Decide(app, check);

        Assert.Equal(c.Expected, decision.Outcome);
        switch (c.Expected)
        {
            case Outcome.UpdateAvailable:
                AssertOffer(decision, c.V);
                break;
            case Outcome.MisconfiguredChannel:
                AssertOutcome(decision, check, "misconfigured_channel", "Channel production is misconfigured", "failed");
                break;
            default:
                var (code, message) = BlockedMessages[c.Expected];
                AssertOutcome(decision, check, code, message, "blocked");
                Assert.Equal(c.V, decision.Version);
                Assert.Equal(c.Old == "VB" ? check.VersionBuild : check.VersionName, decision.Old);
                Assert.Equal(c.Major, decision.Major);
                break;
        }
    }

    [Theory]
    [InlineData("ios", "ios", Outcome.DisabledPlatformIos, "disabled_platform_ios", "Cannot update, ios it's disabled")]
    [InlineData("android", "android", Outcome.DisabledPlatformAndroid, "disabled_platform_android", "Cannot update, android is disabled")]
    [InlineData("electron", "electron", Outcome.DisabledPlatformElectron, "disabled_platform_electron", "Cannot update, electron is disabled")]
    public void Platform_disabled_through_an_override(string platform, string flag, Outcome expected, string code, string message)
    {
        var app = Doc.Standard()
            .WithChannels(Doc.Channel("pinned", "2.0.0", policy: "major").Set(flag, false).Set("allow_prod", false))
            .WithOverride(Requests.DeviceId, "pinned")
            .Snapshot();
        var check = Requests.Check(platform: platform, versionName: "1.0.1");
        var decision = Decide(app, check);

        // Platform is policy 1: it wins over major (policy 2) and prod (policy 7).
        Assert.Equal(expected, decision.Outcome);
        AssertOutcome(decision, check, code, message, "blocked");
        Assert.Equal("2.0.0", decision.Version);
        Assert.Equal("1.0.1", decision.Old);
        Assert.False(decision.Major);
    }

    [Fact]
    public void Version_number_policy_applies_to_non_semver_bundle_names()
    {
        // §2.8.5 compares min_update_version with VB; V need not be semver for that.
        var app = Doc.App()
            .WithBundles(Doc.Bundle("release-42"), Doc.Bundle("release-43").Set("min_update_version", "2.0.0"))
            .WithChannels(
                Doc.Channel("a", "release-42", policy: "version_number").Set("allow_device_self_set", true),
                Doc.Channel("b", "release-43", policy: "version_number").Set("allow_device_self_set", true))
            .Snapshot();
        var a = Requests.Check(defaultChannel: "a");
        Assert.Equal(Outcome.MisconfiguredChannel, Decide(app, a).Outcome);
        Assert.Equal("Channel a is misconfigured", Outcomes.Message(Decide(app, a), a));

        var b = Decide(app, Requests.Check(defaultChannel: "b"));
        Assert.Equal(Outcome.DisableAutoUpdateToMetadata, b.Outcome);
        Assert.Equal("release-43", b.Version);
        Assert.Equal("1.0.0", b.Old);
        Assert.True(b.Major);
    }

    // ---- 9. Builtin target ----

    [Theory]
    [InlineData("6.2.0")]
    [InlineData("6.25.0")]
    [InlineData("8.51.23")]
    public void Builtin_channel_on_a_recent_plugin_is_already_on_builtin(string pluginVersion)
    {
        var check = Requests.Check(pluginVersion: pluginVersion, versionName: "1.1.0");
        var decision = Decide(Doc.Standard(bundle: null).Snapshot(), check);
        AssertOutcome(decision, check, "already_on_builtin", "Already on builtin", "up_to_date");
        Assert.Equal("builtin", decision.Version);
        Assert.Null(decision.Bundle);
    }

    [Theory]
    [InlineData("6.1.9")]
    [InlineData("6.2.0-beta.1")]
    [InlineData("5.10.0")]
    [InlineData("3.0.0")]
    public void Builtin_channel_on_an_old_plugin_is_revert_to_builtin_too_old(string pluginVersion)
    {
        var check = Requests.Check(pluginVersion: pluginVersion, versionName: "1.1.0");
        var decision = Decide(Doc.Standard(bundle: null).Snapshot(), check);
        Assert.Equal(Outcome.RevertToBuiltinPluginVersionTooOld, decision.Outcome);
        Assert.Equal("revert_to_builtin_plugin_version_too_old", Outcomes.Code(decision.Outcome));
        Assert.Equal("failed", Outcomes.KindName(decision.Kind));
    }

    [Fact]
    public void Device_on_builtin_with_builtin_channel_is_already_on_builtin()
    {
        // version_name "builtin" became VB, so V ("builtin") differs from VN as a string.
        var check = Requests.Check(versionName: "builtin", versionBuild: "1.2.0");
        Assert.Equal("1.2.0", check.VersionName);
        Assert.Equal(Outcome.AlreadyOnBuiltin, Decide(Doc.Standard(bundle: null).Snapshot(), check).Outcome);
    }

    [Theory]
    [InlineData("major")]
    [InlineData("minor")]
    [InlineData("patch")]
    [InlineData("version_number")] // would be misconfigured if checked
    public void Version_policies_are_skipped_when_V_is_builtin(string policy)
    {
        var check = Requests.Check(versionName: "3.0.0", versionBuild: "2.5.1");
        var decision = Decide(Doc.Standard(bundle: null, policy: policy).Snapshot(), check);
        Assert.Equal(Outcome.AlreadyOnBuiltin, decision.Outcome);
    }

    [Fact]
    public void Non_version_policies_still_apply_when_V_is_builtin()
    {
        var app = Doc.App().WithChannels(Doc.Channel("production", null, isPublic: true).Set("allow_prod", false)).Snapshot();
        var check = Requests.Check(versionName: "1.1.0");
        var decision = Decide(app, check);
        AssertOutcome(decision, check, "disable_prod_build", "Cannot update, prod build is disabled", "blocked");
        Assert.Equal("builtin", decision.Version);
        Assert.Equal("1.1.0", decision.Old);
    }

    // ---- 10. Offer: manifest and metadata gating ----

    private static AppSnapshot ManifestApp(bool withUrl = true, bool exposeMetadata = true, string? link = "https://example.com/notes", string? comment = "Faster start-up")
    {
        var bundle = Doc.Bundle("1.4.0")
            .Set("manifest", new JsonArray(Doc.ManifestFile("assets/app.js"), Doc.ManifestFile("index.html")))
            .Set("link", link)
            .Set("comment", comment);
        if (!withUrl)
        {
            bundle.Remove("url");
        }

        return Doc.App().Set("expose_metadata", exposeMetadata).WithBundles(bundle).WithChannels(Doc.Channel("production", "1.4.0", isPublic: true)).Snapshot();
    }

    [Theory]
    [InlineData("5.9.9", false)]
    [InlineData("5.10.0-beta.1", false)]
    [InlineData("5.10.0", true)]
    [InlineData("5.40.1", true)]
    [InlineData("6.24.9", false)]
    [InlineData("6.24.99", false)]
    [InlineData("6.25.0-rc.1", false)]
    [InlineData("6.25.0", true)]
    [InlineData("7.0.34", false)]
    [InlineData("7.0.35", true)]
    [InlineData("7.1.0", true)]
    [InlineData("8.0.0", true)]
    [InlineData("8.51.23", true)]
    [InlineData("9.0.0", true)]
    [InlineData("3.99.0", false)]
    public void Manifest_is_included_from_the_first_plugin_that_reads_it(string pluginVersion, bool expected)
    {
        Assert.True(SemVer.TryParse(pluginVersion, out var plugin));
        Assert.Equal(expected, UpdateDecider.PluginReadsManifest(plugin));

        var decision = Decide(ManifestApp(), Requests.Check(pluginVersion: pluginVersion));
        AssertOffer(decision, "1.4.0");
        Assert.Equal(expected, decision.IncludeManifest);
        Assert.Equal(2, decision.Bundle!.Manifest.Count);
    }

    [Fact]
    public void Bundle_without_manifest_never_includes_one() =>
        Assert.False(Decide(Doc.Standard().Snapshot(), Requests.Check(pluginVersion: "8.51.23")).IncludeManifest);

    [Fact]
    public void Manifest_only_bundle_is_offered_with_the_placeholder_url()
    {
        Assert.Equal("https://404.capgo.app/no.zip", UpdateDecider.NoZipPlaceholderUrl);
        var decision = Decide(ManifestApp(withUrl: false), Requests.Check(pluginVersion: "8.0.0"));
        AssertOffer(decision, "1.4.0");
        Assert.Null(decision.Bundle!.Url);
        Assert.True(decision.Bundle.IsDownloadable);
        Assert.True(decision.IncludeManifest);
    }

    [Theory]
    [InlineData("8.34.9", false)]
    [InlineData("8.35.0-beta.1", false)]
    [InlineData("8.35.0", true)]
    [InlineData("8.51.23", true)]
    [InlineData("7.34.99", false)]
    [InlineData("7.35.0", true)]
    [InlineData("6.35.0", true)]
    [InlineData("6.34.0", false)]
    [InlineData("5.35.0", true)]
    [InlineData("5.10.0", false)]
    [InlineData("9.0.0", false)] // x.35.0 of its own major
    [InlineData("9.35.0", true)]
    public void Link_and_comment_need_a_plugin_at_x_35_of_its_major(string pluginVersion, bool expected)
    {
        Assert.True(SemVer.TryParse(pluginVersion, out var plugin));
        Assert.Equal(expected, UpdateDecider.PluginReadsMetadata(plugin));
        Assert.Equal(expected, Decide(ManifestApp(), Requests.Check(pluginVersion: pluginVersion)).IncludeMetadata);
    }

    [Theory]
    [InlineData(false, "https://example.com/notes", "note", false)]
    [InlineData(true, null, null, false)]
    [InlineData(true, "", "", false)]
    [InlineData(true, "https://example.com/notes", null, true)]
    [InlineData(true, null, "note", true)]
    [InlineData(true, "https://example.com/notes", "note", true)]
    public void Link_and_comment_need_the_app_to_expose_metadata_and_a_value(bool expose, string? link, string? comment, bool expected) =>
        Assert.Equal(expected, Decide(ManifestApp(exposeMetadata: expose, link: link, comment: comment), Requests.Check(pluginVersion: "8.35.0")).IncludeMetadata);

    [Fact]
    public void Offer_carries_the_bundle_fields()
    {
        var decision = Decide(Doc.Standard().Snapshot(), Requests.Check());
        AssertOffer(decision, "1.1.0");
        Assert.Equal("https://cdn.example.com/com.demo.app/1.1.0.zip", decision.Bundle!.Url);
        Assert.Equal("3885ee49", decision.Bundle.Checksum);
        Assert.Equal("", decision.Bundle.SessionKey);
        Assert.Null(decision.Old);
        Assert.False(decision.Major);
        Assert.Equal(-1, decision.RolloutBucket);
        Assert.False(decision.InRollout);
    }

    // ---- Outcome table ----

    [Fact]
    public void Every_outcome_has_a_code_and_message_and_a_kind_per_the_contract()
    {
        var blocked = new[]
        {
            Outcome.KeyIdMismatch, Outcome.DisabledPlatformIos, Outcome.DisabledPlatformAndroid, Outcome.DisabledPlatformElectron,
            Outcome.DisableAutoUpdateToMajor, Outcome.DisableAutoUpdateToMinor, Outcome.DisableAutoUpdateToPatch,
            Outcome.DisableAutoUpdateToMetadata, Outcome.DisableAutoUpdateUnderNative, Outcome.DisableProdBuild,
            Outcome.DisableDevBuild, Outcome.DisableDevice, Outcome.DisableEmulator,
        };
        var upToDate = new[] { Outcome.NoNewVersionAvailable, Outcome.AlreadyOnBuiltin };
        var none = new[] { Outcome.UpdateAvailable, Outcome.OnPremiseApp };
        Assert.Equal(Enum.GetValues<Outcome>().Length, Outcomes.Count);
        foreach (var outcome in Enum.GetValues<Outcome>())
        {
            var expected = blocked.Contains(outcome) ? OutcomeKind.Blocked
                : upToDate.Contains(outcome) ? OutcomeKind.UpToDate
                : none.Contains(outcome) ? OutcomeKind.None
                : OutcomeKind.Failed;
            Assert.Equal(expected, Outcomes.Kind(outcome));
            if (outcome != Outcome.UpdateAvailable)
            {
                Assert.Matches("^[a-z0-9_]+$", Outcomes.Code(outcome));
            }
        }

        Assert.Equal(Outcomes.Count, Enum.GetValues<Outcome>().Select(Outcomes.Code).Distinct().Count());
    }
}

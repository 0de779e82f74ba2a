namespace Capgo.Edge.Core.Tests;

/// <summary>update-check.md §1: validation in the contract's order, the table rules, normalisation.</summary>
public class RequestValidatorTests
{
    private static string SemverMessage(string versionBuild) =>
        "Native version: " + versionBuild +
        " doesn't follow semver convention, please check https://capgo.app/semver_tester/ to learn more about semver usage in Capgo";

    private static RequestError Reject(RawUpdateCheck raw)
    {
        var error = RequestValidator.Validate(raw, out _);
        Assert.NotNull(error);
        return error;
    }

    private static string[] IssueFields(RawUpdateCheck raw)
    {
        var error = Reject(raw);
        Assert.Equal("invalid_json_body", error.Code);
        Assert.Equal("Cannot parse body", error.Message);
        Assert.All(error.Issues, i => Assert.False(string.IsNullOrEmpty(i.Message)));
        return [.. error.Issues.Select(i => i.Field)];
    }

    [Fact]
    public void Valid_request_is_accepted_and_copied()
    {
        var error = RequestValidator.Validate(Requests.Valid with { DefaultChannel = "beta", KeyId = "abc", IsEmulator = true, IsProd = false }, out var check);
        Assert.Null(error);
        Assert.Equal(Requests.AppId, check.AppId);
        Assert.Equal(Requests.DeviceId, check.DeviceId);
        Assert.Equal("1.0.0", check.VersionName);
        Assert.Equal("1.0.0", check.VersionBuild);
        Assert.Equal(new SemVer(1, 0, 0), check.NativeVersion);
        Assert.Equal(Platform.Android, check.Platform);
        Assert.Equal("8.51.23", check.PluginVersionText);
        Assert.Equal(new SemVer(8, 51, 23), check.PluginVersion);
        Assert.True(check.IsEmulator);
        Assert.False(check.IsProd);
        Assert.Equal("beta", check.DefaultChannel);
        Assert.Equal("abc", check.KeyId);
    }

    [Fact]
    public void Optional_fields_take_their_defaults()
    {
        var check = Requests.Check(Requests.Valid);
        Assert.False(check.IsEmulator);
        Assert.True(check.IsProd);
        Assert.Null(check.DefaultChannel);
        Assert.Null(check.KeyId);
    }

    [Fact]
    public void Empty_default_channel_and_key_id_mean_unset()
    {
        // iOS sends key_id: "" when encryption is not configured.
        var check = Requests.Check(Requests.Valid with { DefaultChannel = "", KeyId = "" });
        Assert.Null(check.DefaultChannel);
        Assert.Null(check.KeyId);
    }

    [Fact]
    public void Empty_body_is_invalid_json_body_before_anything_else()
    {
        var error = Reject(new RawUpdateCheck { IsEmpty = true });
        Assert.Equal("invalid_json_body", error.Code);
        Assert.Equal("Cannot parse body", error.Message);
        Assert.Empty(error.Issues);
    }

    [Fact]
    public void Invalid_json_constant_matches_the_contract()
    {
        Assert.Equal("invalid_json_parse_body", RequestError.InvalidJson.Code);
        Assert.Equal("Invalid JSON body", RequestError.InvalidJson.Message);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    public void Missing_device_id(string? deviceId)
    {
        var error = Reject(Requests.Valid with { DeviceId = deviceId });
        Assert.Equal("missing_device_id", error.Code);
        Assert.Equal("Cannot find device_id", error.Message);
    }

    [Fact]
    public void Missing_device_id_comes_before_missing_app_id_and_semver()
    {
        var error = Reject(Requests.Valid with { DeviceId = null, AppId = null, VersionBuild = "not.a.version", Platform = "web" });
        Assert.Equal("missing_device_id", error.Code);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    public void Missing_app_id(string? appId)
    {
        var error = Reject(Requests.Valid with { AppId = appId });
        Assert.Equal("missing_app_id", error.Code);
        Assert.Equal("Cannot find app_id", error.Message);
    }

    [Fact]
    public void Missing_app_id_comes_before_semver_and_table_rules()
    {
        var error = Reject(Requests.Valid with { AppId = null, DeviceId = "not-a-uuid", VersionBuild = "x.y", Platform = "web" });
        Assert.Equal("missing_app_id", error.Code);
    }

    [Fact]
    public void Device_id_of_wrong_type_is_present_but_invalid()
    {
        // A number where the string belongs is not "missing": it breaks the table rule.
        Assert.Equal(["device_id"], IssueFields(Requests.Valid with { DeviceId = null, WrongType = CheckFields.DeviceId }));
        Assert.Equal(["app_id"], IssueFields(Requests.Valid with { AppId = null, WrongType = CheckFields.AppId }));
    }

    [Theory]
    [InlineData("1.0.0.0")]
    [InlineData("abc")]
    [InlineData("01.2.3")]
    [InlineData("1.02")]
    [InlineData("007")]
    [InlineData("1.2.3-")]
    [InlineData("vv1.2.3")]
    [InlineData(" 1.2.3")]
    public void Version_build_not_semver_is_semver_error_with_exact_message(string versionBuild)
    {
        var error = Reject(Requests.Valid with { VersionBuild = versionBuild });
        Assert.Equal("semver_error", error.Code);
        Assert.Equal(SemverMessage(versionBuild), error.Message);
        Assert.Empty(error.Issues);
    }

    [Fact]
    public void Semver_error_comes_before_table_rules()
    {
        var error = Reject(Requests.Valid with { VersionBuild = "1.2.3.4", Platform = "web", DeviceId = "nope" });
        Assert.Equal("semver_error", error.Code);
    }

    [Theory]
    [InlineData("ee.forgr.demo_app")]
    [InlineData("com.demo-app.x")]
    [InlineData("com.demo.app")]
    [InlineData("COM.Demo.App")]
    [InlineData("a1.b")]
    [InlineData("io.ionic.starter_2.x-y")]
    public void Valid_app_ids(string appId)
    {
        Assert.True(AppIds.IsValid(appId));
        Assert.Null(RequestValidator.Validate(Requests.Valid with { AppId = appId }, out _));
    }

    [Theory]
    [InlineData("eeforgrdemoapp")]
    [InlineData(".ee.x")]
    [InlineData("ee.forgr.demo+app")]
    [InlineData("[appid]")]
    [InlineData("ee.")]
    [InlineData("ee..x")]
    [InlineData("e_e.x")]
    [InlineData("-ee.x")]
    [InlineData("ee.x ")]
    [InlineData("ee.fo rgr")]
    public void Invalid_app_ids(string appId)
    {
        Assert.False(AppIds.IsValid(appId));
        Assert.Equal(["app_id"], IssueFields(Requests.Valid with { AppId = appId }));
    }

    [Theory]
    [InlineData("00009a6b-eefe-490a-9c60-8e965132ae51")]
    [InlineData("6F1C2B9A-4D3E-4A5B-9C8D-7E6F5A4B3C2D")]
    [InlineData("6f1C2b9A-4d3E-4a5B-9c8D-7e6F5a4B3c2D")]
    [InlineData("00000000-0000-0000-0000-000000000000")]
    [InlineData("ffffffff-ffff-1fff-8fff-ffffffffffff")]
    public void Valid_device_ids_in_any_case_and_version(string deviceId)
    {
        Assert.True(DeviceIds.IsValid(deviceId));
        Assert.Null(RequestValidator.Validate(Requests.Valid with { DeviceId = deviceId }, out _));
    }

    [Theory]
    [InlineData("00009a6b-eefe-490a-9c60-8e965132ae51a")]
    [InlineData("00009a6b-eefe-490a-9c60-8e965132ae51-0000")]
    [InlineData("g0009a6b-eefe-490a-9c60-8e965132ae51")]
    [InlineData("00009a6b_eefe_490a_9c60_8e965132ae51")]
    [InlineData("00009a6beefe-490a-9c60-8e965132ae51-")]
    [InlineData("not-a-uuid")]
    [InlineData("{00009a6b-eefe-490a-9c60-8e965132ae}")]
    public void Invalid_device_ids(string deviceId)
    {
        Assert.False(DeviceIds.IsValid(deviceId));
        Assert.Equal(["device_id"], IssueFields(Requests.Valid with { DeviceId = deviceId }));
    }

    [Fact]
    public void Device_id_longer_than_36_characters_is_rejected()
    {
        var tooLong = new string('a', 8) + "-" + new string('b', 4) + "-" + new string('c', 4) + "-" + new string('d', 4) + "-" + new string('e', 13);
        Assert.Equal(37, tooLong.Length);
        Assert.Equal(["device_id"], IssueFields(Requests.Valid with { DeviceId = tooLong }));
    }

    [Theory]
    [InlineData("ios", Platform.Ios)]
    [InlineData("android", Platform.Android)]
    [InlineData("electron", Platform.Electron)]
    public void Platforms_are_exact(string platform, Platform expected) =>
        Assert.Equal(expected, Requests.Check(Requests.Valid with { Platform = platform }).Platform);

    [Theory]
    [InlineData("iOS")]
    [InlineData("IOS")]
    [InlineData("Android")]
    [InlineData(" ios")]
    [InlineData("web")]
    [InlineData("")]
    [InlineData(null)]
    public void Other_platforms_are_rejected(string? platform) =>
        Assert.Equal(["platform"], IssueFields(Requests.Valid with { Platform = platform }));

    [Theory]
    [InlineData("8.35.0-beta.1")]
    [InlineData("5.2.1")]
    [InlineData("8.51.23")]
    [InlineData("7.0.0-rc.1+build.5")]
    [InlineData("0.0.1")]
    public void Plugin_version_accepts_any_semver(string pluginVersion) =>
        Assert.Equal(pluginVersion, Requests.Check(Requests.Valid with { PluginVersion = pluginVersion }).PluginVersionText);

    [Theory]
    [InlineData("8.35")]
    [InlineData("8")]
    [InlineData("v8.35.0")]
    [InlineData("08.35.0")]
    [InlineData("8.35.0-")]
    [InlineData("")]
    [InlineData(null)]
    public void Plugin_version_must_be_semver(string? pluginVersion) =>
        Assert.Equal(["plugin_version"], IssueFields(Requests.Valid with { PluginVersion = pluginVersion }));

    [Theory]
    [InlineData("")]
    [InlineData(null)]
    public void Version_name_must_be_non_empty(string? versionName) =>
        Assert.Equal(["version_name"], IssueFields(Requests.Valid with { VersionName = versionName }));

    [Theory]
    [InlineData("")]
    [InlineData(null)]
    public void Version_build_must_be_present(string? versionBuild) =>
        Assert.Equal(["version_build"], IssueFields(Requests.Valid with { VersionBuild = versionBuild }));

    [Theory]
    [InlineData("not semver at all")]
    [InlineData("release-42")]
    [InlineData("1.3.1")]
    public void Version_name_is_any_text(string versionName) =>
        Assert.Equal(versionName, Requests.Check(Requests.Valid with { VersionName = versionName }).VersionName);

    [Fact]
    public void Install_source_at_most_64_characters()
    {
        Assert.Null(RequestValidator.Validate(Requests.Valid with { InstallSource = new string('x', 64) }, out _));
        Assert.Equal(["install_source"], IssueFields(Requests.Valid with { InstallSource = new string('x', 65) }));
    }

    [Fact]
    public void Key_id_at_most_20_characters()
    {
        Assert.Null(RequestValidator.Validate(Requests.Valid with { KeyId = new string('k', 20) }, out _));
        Assert.Equal(["key_id"], IssueFields(Requests.Valid with { KeyId = new string('k', 21) }));
    }

    [Fact]
    public void Unvalidated_fields_accept_any_text()
    {
        var error = RequestValidator.Validate(
            Requests.Valid with { CustomId = new string('c', 500), VersionCode = "", VersionOs = "17.5 (21F79)" },
            out _);
        Assert.Null(error);
    }

    public static TheoryData<CheckFields, string> WrongTypes => new()
    {
        { CheckFields.AppId, "app_id" },
        { CheckFields.DeviceId, "device_id" },
        { CheckFields.VersionName, "version_name" },
        { CheckFields.VersionBuild, "version_build" },
        { CheckFields.Platform, "platform" },
        { CheckFields.PluginVersion, "plugin_version" },
        { CheckFields.IsEmulator, "is_emulator" },
        { CheckFields.IsProd, "is_prod" },
        { CheckFields.DefaultChannel, "defaultChannel" },
        { CheckFields.InstallSource, "install_source" },
        { CheckFields.KeyId, "key_id" },
        { CheckFields.CustomId, "custom_id" },
        { CheckFields.VersionCode, "version_code" },
        { CheckFields.VersionOs, "version_os" },
    };

    [Theory]
    [MemberData(nameof(WrongTypes))]
    public void Wrong_json_type_breaks_the_rule_of_that_field(CheckFields field, string name) =>
        Assert.Equal([name], IssueFields(Requests.Valid with { WrongType = field }));

    [Fact]
    public void Wrong_type_with_a_value_that_would_otherwise_pass_is_still_rejected()
    {
        // The transport may keep a text rendering of the wrong-typed value; the flag decides.
        Assert.Equal(["platform"], IssueFields(Requests.Valid with { WrongType = CheckFields.Platform }));
        Assert.Equal(["key_id"], IssueFields(Requests.Valid with { KeyId = "abc", WrongType = CheckFields.KeyId }));
    }

    [Fact]
    public void All_problems_are_listed_in_the_table_field_order()
    {
        var raw = new RawUpdateCheck
        {
            AppId = "[appid]",
            DeviceId = "not-a-uuid",
            VersionName = "",
            VersionBuild = null,
            Platform = "web",
            PluginVersion = "8",
            InstallSource = new string('s', 65),
            KeyId = new string('k', 21),
            WrongType = CheckFields.IsEmulator | CheckFields.IsProd | CheckFields.DefaultChannel |
                CheckFields.CustomId | CheckFields.VersionCode | CheckFields.VersionOs,
        };
        Assert.Equal(
            [
                "app_id", "device_id", "version_name", "version_build", "platform", "plugin_version", "is_emulator",
                "is_prod", "defaultChannel", "install_source", "key_id", "custom_id", "version_code", "version_os",
            ],
            IssueFields(raw));
    }

    [Fact]
    public void Problems_keep_table_order_whatever_the_subset()
    {
        Assert.Equal(["device_id", "platform", "key_id"], IssueFields(Requests.Valid with { KeyId = new string('k', 30), Platform = "IOS", DeviceId = "x" }));
        Assert.Equal(["app_id", "plugin_version", "install_source"], IssueFields(Requests.Valid with { InstallSource = new string('s', 99), PluginVersion = "1", AppId = "app" }));
    }

    [Theory]
    [InlineData("1.0.0", "1.0.0")]
    [InlineData("1.0", "1.0.0")]
    [InlineData("1", "1.0.0")]
    [InlineData("v1.2.3", "1.2.3")]
    [InlineData("v1", "1.0.0")]
    [InlineData("v2.5", "2.5.0")]
    [InlineData("builtin", "0.0.0")]
    [InlineData("unknown", "0.0.0")]
    [InlineData("1.2.3-beta.1", "1.2.3-beta.1")]
    [InlineData("1.2.3+45", "1.2.3+45")]
    [InlineData("10.20", "10.20.0")]
    [InlineData("0", "0.0.0")]
    public void Version_build_is_normalised(string input, string expected)
    {
        Assert.True(VersionBuild.TryNormalize(input, out var normalized, out var version));
        Assert.Equal(expected, normalized);
        Assert.True(SemVer.TryParse(expected, out var expectedVersion));
        Assert.Equal(expectedVersion, version);

        var check = Requests.Check(Requests.Valid with { VersionBuild = input });
        Assert.Equal(expected, check.VersionBuild);
        Assert.Equal(expectedVersion, check.NativeVersion);
    }

    [Theory]
    [InlineData("01")]
    [InlineData("1.01")]
    [InlineData("01.0.0")]
    [InlineData("1.0.00")]
    [InlineData("v01.2.3")]
    [InlineData("1.2.3.4")]
    [InlineData("Builtin")]
    [InlineData("1.")]
    [InlineData(".1")]
    [InlineData("1.0-beta")]
    public void Version_build_normalisation_rejects(string input) =>
        Assert.False(VersionBuild.TryNormalize(input, out _, out _));

    [Theory]
    [InlineData("1.0", "1.0.0")]
    [InlineData("v1.2.3", "1.2.3")]
    [InlineData("builtin", "0.0.0")]
    [InlineData("2", "2.0.0")]
    public void Version_name_builtin_is_replaced_by_the_normalised_version_build(string versionBuild, string expected)
    {
        var check = Requests.Check(Requests.Valid with { VersionName = "builtin", VersionBuild = versionBuild });
        Assert.Equal(expected, check.VersionName);
        Assert.Equal(expected, check.VersionBuild);
    }

    [Fact]
    public void Version_name_other_than_builtin_is_kept()
    {
        var check = Requests.Check(Requests.Valid with { VersionName = "1.3.1", VersionBuild = "1.0" });
        Assert.Equal("1.3.1", check.VersionName);
        Assert.Equal("1.0.0", check.VersionBuild);
    }
}

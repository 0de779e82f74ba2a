using System.Text.Json;

namespace Capgo.Edge.Core.Tests;

/// <summary>
/// The real plugin bodies of <c>../shared/vectors</c> (beside the repository), read into
/// <see cref="RawUpdateCheck"/> the way the transports do, validated and decided.
/// </summary>
public class PluginVectorTests
{
    private static string VectorPath(string name)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "shared", "vectors", name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException($"vector {name} not found above {AppContext.BaseDirectory} (expected ../shared/vectors beside the repository)");
    }

    private static JsonElement Load(string name)
    {
        using var document = JsonDocument.Parse(File.ReadAllBytes(VectorPath(name)));
        return document.RootElement.Clone();
    }

    /// <summary>A minimal body → raw mapping: strings and booleans, anything else flagged as a wrong type.</summary>
    private static RawUpdateCheck ToRaw(JsonElement body)
    {
        if (body.ValueKind != JsonValueKind.Object || !body.EnumerateObject().Any())
        {
            return new RawUpdateCheck { IsEmpty = true };
        }

        var raw = default(RawUpdateCheck);
        var wrong = CheckFields.None;
        string? Str(string name, CheckFields field)
        {
            if (!body.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null)
            {
                return null;
            }

            if (v.ValueKind == JsonValueKind.String)
            {
                return v.GetString();
            }

            wrong |= field;
            return null;
        }

        bool? Bool(string name, CheckFields field)
        {
            if (!body.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null)
            {
                return null;
            }

            if (v.ValueKind is JsonValueKind.True or JsonValueKind.False)
            {
                return v.GetBoolean();
            }

            wrong |= field;
            return null;
        }

        raw.AppId = Str("app_id", CheckFields.AppId);
        raw.DeviceId = Str("device_id", CheckFields.DeviceId);
        raw.VersionName = Str("version_name", CheckFields.VersionName);
        raw.VersionBuild = Str("version_build", CheckFields.VersionBuild);
        raw.Platform = Str("platform", CheckFields.Platform);
        raw.PluginVersion = Str("plugin_version", CheckFields.PluginVersion);
        raw.IsEmulator = Bool("is_emulator", CheckFields.IsEmulator);
        raw.IsProd = Bool("is_prod", CheckFields.IsProd);
        raw.DefaultChannel = Str("defaultChannel", CheckFields.DefaultChannel);
        raw.InstallSource = Str("install_source", CheckFields.InstallSource);
        raw.KeyId = Str("key_id", CheckFields.KeyId);
        raw.CustomId = Str("custom_id", CheckFields.CustomId);
        raw.VersionCode = Str("version_code", CheckFields.VersionCode);
        raw.VersionOs = Str("version_os", CheckFields.VersionOs);
        raw.WrongType = wrong;
        return raw;
    }

    private static UpdateCheck CheckOf(string vector) => Requests.Check(ToRaw(Load(vector)));

    private static AppSnapshot DemoApp() =>
        Doc.App()
            .WithBundles(Doc.Bundle("1.2.0"), Doc.Bundle("1.3.1"), Doc.Bundle("1.4.0").Set("key_id", "OTHERKEY"), Doc.Bundle("2.0.0"))
            .WithChannels(
                Doc.Channel("production", "1.4.0", isPublic: true),
                Doc.Channel("beta", "2.0.0").Set("allow_device_self_set", true))
            .Snapshot();

    [Fact]
    public void Android_vector_asks_for_beta_and_is_blocked_like_the_major_reply_vector()
    {
        var check = CheckOf("android-update-request.json");
        Assert.Equal(Platform.Android, check.Platform);
        Assert.Equal("beta", check.DefaultChannel);
        Assert.Equal("1.3.1", check.VersionName);
        Assert.False(check.IsEmulator);
        Assert.True(check.IsProd);

        var decision = UpdateDecider.Decide(DemoApp(), check);
        var reply = Load("reply-blocked-major.json");
        Assert.Equal(reply.GetProperty("error").GetString(), Outcomes.Code(decision.Outcome));
        Assert.Equal(reply.GetProperty("message").GetString(), Outcomes.Message(decision, check));
        Assert.Equal(reply.GetProperty("kind").GetString(), Outcomes.KindName(decision.Kind));
        Assert.Equal(reply.GetProperty("version").GetString(), decision.Version);
        Assert.Equal(reply.GetProperty("old").GetString(), decision.Old);
        Assert.Equal(reply.GetProperty("major").GetBoolean(), decision.Major);
    }

    [Fact]
    public void Ios_vector_upper_case_device_on_builtin_with_empty_key_id()
    {
        var check = CheckOf("ios-update-request.json");
        Assert.Equal(Platform.Ios, check.Platform);
        Assert.Equal("1.2.0", check.VersionName); // builtin → VB
        Assert.Null(check.KeyId); // "" is unset
        Assert.Null(check.DefaultChannel);

        // Bundle 1.4.0 has a key id; the device sent "", so there is no mismatch: offer.
        var decision = UpdateDecider.Decide(DemoApp(), check);
        Assert.Equal(Outcome.UpdateAvailable, decision.Outcome);
        Assert.Equal("1.4.0", decision.Bundle?.Name);
        Assert.Equal(ChannelSource.Public, decision.Source);
    }

    [Fact]
    public void Ios_vector_override_is_found_for_the_upper_case_device_id()
    {
        var check = CheckOf("ios-update-request.json");
        var app = Doc.App()
            .WithBundles(Doc.Bundle("1.4.0"), Doc.Bundle("1.5.0"))
            .WithChannels(Doc.Channel("production", "1.4.0", isPublic: true), Doc.Channel("qa", "1.5.0"))
            .WithOverride(check.DeviceId.ToLowerInvariant(), "qa")
            .Snapshot();
        var decision = UpdateDecider.Decide(app, check);
        Assert.Equal("1.5.0", decision.Bundle?.Name);
        Assert.Equal(ChannelSource.Override, decision.Source);
    }

    [Fact]
    public void Encrypted_ios_vector_with_another_bundle_key_is_key_id_mismatch()
    {
        var check = CheckOf("ios-update-request-encrypted.json");
        Assert.Equal("MIIBCgKCAQEA", check.KeyId);
        Assert.Equal("production", check.DefaultChannel);
        var decision = UpdateDecider.Decide(DemoApp(), check);
        Assert.Equal(Outcome.KeyIdMismatch, decision.Outcome);
        Assert.Equal("blocked", Outcomes.KindName(decision.Kind));
    }

    [Fact]
    public void Old_plugin_vector_normalises_version_build_and_gets_no_manifest()
    {
        var check = CheckOf("old-plugin-update-request.json");
        Assert.Equal("1.0.0", check.VersionBuild);
        Assert.Equal(new SemVer(5, 2, 1), check.PluginVersion);

        var app = Doc.App()
            .WithBundles(Doc.Bundle("1.0.0"), Doc.Bundle("1.4.0").Set("manifest", new System.Text.Json.Nodes.JsonArray(Doc.ManifestFile("a.js"))))
            .WithChannels(Doc.Channel("production", "1.4.0", isPublic: true))
            .Snapshot();
        var decision = UpdateDecider.Decide(app, check);
        Assert.Equal(Outcome.UpdateAvailable, decision.Outcome);
        Assert.False(decision.IncludeManifest);

        Assert.Equal(Outcome.NoNewVersionAvailable, UpdateDecider.Decide(Doc.Standard("1.0.0").Snapshot(), check).Outcome);
    }

    [Fact]
    public void Reply_vectors_match_the_outcome_table()
    {
        var upToDate = Load("reply-up-to-date.json");
        Assert.Equal(Outcomes.Code(Outcome.NoNewVersionAvailable), upToDate.GetProperty("error").GetString());
        Assert.Equal(Outcomes.KindName(Outcomes.Kind(Outcome.NoNewVersionAvailable)), upToDate.GetProperty("kind").GetString());

        var unknown = Load("reply-unknown-app-429.json");
        Assert.Equal(Outcomes.Code(Outcome.OnPremiseApp), unknown.GetProperty("error").GetString());
        Assert.False(unknown.TryGetProperty("kind", out _));
        Assert.Null(Outcomes.KindName(Outcomes.Kind(Outcome.OnPremiseApp)));

        var bad = Load("reply-bad-input-400.json");
        var invalid = RequestValidator.Validate(Requests.Valid with { DeviceId = "nope" }, out _)!;
        Assert.Equal(bad.GetProperty("error").GetString(), invalid.Code);
        Assert.Equal(bad.GetProperty("message").GetString(), invalid.Message);
        var issue = bad.GetProperty("moreInfo").GetProperty("issues")[0];
        Assert.Equal(issue.GetProperty("path")[0].GetString(), invalid.Issues[0].Field);
        Assert.Equal(issue.GetProperty("message").GetString(), invalid.Issues[0].Message);
    }

    [Theory]
    [InlineData("{}")]
    [InlineData("[]")]
    public void Empty_object_or_array_is_an_empty_body(string json)
    {
        using var document = JsonDocument.Parse(json);
        var error = RequestValidator.Validate(ToRaw(document.RootElement), out _);
        Assert.Equal("invalid_json_body", error?.Code);
        Assert.Empty(error!.Issues);
    }

    [Fact]
    public void Numbers_where_strings_belong_are_listed_not_missing()
    {
        using var document = JsonDocument.Parse("""
            {"platform":"android","device_id":"00009a6b-eefe-490a-9c60-8e965132ae51","app_id":"com.demo.app",
             "version_build":"1.2.0","version_name":"1.3.1","plugin_version":"8.51.23","is_emulator":"no","is_prod":1,"key_id":42}
            """);
        var error = RequestValidator.Validate(ToRaw(document.RootElement), out _);
        Assert.Equal("invalid_json_body", error?.Code);
        Assert.Equal(["is_emulator", "is_prod", "key_id"], error!.Issues.Select(i => i.Field));
    }
}

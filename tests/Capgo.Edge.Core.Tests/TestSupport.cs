using System.Text;
using System.Text.Json.Nodes;

namespace Capgo.Edge.Core.Tests;

/// <summary>Valid requests and their validated form.</summary>
internal static class Requests
{
    public const string AppId = "com.demo.app";
    public const string DeviceId = "00009a6b-eefe-490a-9c60-8e965132ae51";
    public const string OtherDeviceId = "6f1c2b9a-4d3e-4a5b-9c8d-7e6f5a4b3c2d";

    /// <summary>A valid Android request from plugin 8.51.23 running bundle 1.0.0 on native 1.0.0.</summary>
    public static RawUpdateCheck Valid => new()
    {
        AppId = AppId,
        DeviceId = DeviceId,
        VersionName = "1.0.0",
        VersionBuild = "1.0.0",
        Platform = "android",
        PluginVersion = "8.51.23",
    };

    public static UpdateCheck Check(RawUpdateCheck raw)
    {
        var error = RequestValidator.Validate(raw, out var check);
        Assert.True(error is null, $"request should be valid but got {error?.Code} {string.Join(", ", error?.Issues.Select(i => i.Field) ?? [])}");
        return check;
    }

    public static UpdateCheck Check(
        string versionName = "1.0.0",
        string versionBuild = "1.0.0",
        string platform = "android",
        string pluginVersion = "8.51.23",
        string deviceId = DeviceId,
        string? defaultChannel = null,
        string? keyId = null,
        bool? isProd = null,
        bool? isEmulator = null) =>
        Check(Valid with
        {
            VersionName = versionName,
            VersionBuild = versionBuild,
            Platform = platform,
            PluginVersion = pluginVersion,
            DeviceId = deviceId,
            DefaultChannel = defaultChannel,
            KeyId = keyId,
            IsProd = isProd,
            IsEmulator = isEmulator,
        });

    /// <summary>Deterministic random UUIDs (lower-case, canonical form).</summary>
    public static string[] DeviceIds(int count, int seed)
    {
        var random = new Random(seed);
        var ids = new string[count];
        Span<byte> bytes = stackalloc byte[16];
        for (var i = 0; i < count; i++)
        {
            random.NextBytes(bytes);
            ids[i] = new Guid(bytes).ToString();
        }

        return ids;
    }
}

/// <summary>Writes app documents (projection.md §1) as JSON and parses them through <see cref="AppDocument"/>.</summary>
internal static class Doc
{
    public static JsonObject App(string appId = Requests.AppId) => new()
    {
        ["app_id"] = appId,
        ["status"] = "active",
        ["bundles"] = new JsonArray(),
        ["channels"] = new JsonArray(),
    };

    /// <summary>A downloadable bundle (zip URL, checksum, empty session key).</summary>
    public static JsonObject Bundle(string name) => new()
    {
        ["name"] = name,
        ["url"] = $"https://cdn.example.com/com.demo.app/{name}.zip",
        ["checksum"] = "3885ee49",
        ["session_key"] = "",
    };

    public static JsonObject ManifestFile(string fileName) => new()
    {
        ["file_name"] = fileName,
        ["file_hash"] = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        ["download_url"] = $"https://cdn.example.com/com.demo.app/files/{fileName}",
    };

    /// <summary>A channel with the contract's defaults except <c>disable_auto_update</c>, written explicitly.</summary>
    public static JsonObject Channel(string name, string? bundle, bool isPublic = false, string policy = "major") => new()
    {
        ["name"] = name,
        ["bundle"] = bundle,
        ["public"] = isPublic,
        ["disable_auto_update"] = policy,
    };

    public static JsonObject Rollout(string id, string bundle, int shareBps, bool enabled = true, bool paused = false) => new()
    {
        ["id"] = id,
        ["bundle"] = bundle,
        ["percentage_bps"] = shareBps,
        ["enabled"] = enabled,
        ["paused"] = paused,
    };

    public static JsonObject Set(this JsonObject node, string key, JsonNode? value)
    {
        node[key] = value;
        return node;
    }

    public static JsonObject WithBundles(this JsonObject app, params JsonObject[] bundles)
    {
        var array = app["bundles"]!.AsArray();
        foreach (var bundle in bundles)
        {
            array.Add(bundle);
        }

        return app;
    }

    public static JsonObject WithChannels(this JsonObject app, params JsonObject[] channels)
    {
        var array = app["channels"]!.AsArray();
        foreach (var channel in channels)
        {
            array.Add(channel);
        }

        return app;
    }

    public static JsonObject WithOverride(this JsonObject app, string deviceId, string channel)
    {
        if (app["device_overrides"] is not JsonObject overrides)
        {
            overrides = [];
            app["device_overrides"] = overrides;
        }

        overrides[deviceId] = channel;
        return app;
    }

    public static AppSnapshot Parse(string json, long generation = 1) => AppDocument.Parse(Encoding.UTF8.GetBytes(json), generation);

    public static AppSnapshot Snapshot(this JsonObject app, long generation = 1) => Parse(app.ToJsonString(), generation);

    /// <summary>An app with bundles 0.9.0 … 2.0.0 and one public channel <c>production</c> on <paramref name="bundle"/>.</summary>
    public static JsonObject Standard(string? bundle = "1.1.0", string policy = "major") =>
        App()
            .WithBundles(Bundle("0.9.0"), Bundle("1.0.0"), Bundle("1.1.0"), Bundle("1.2.0"), Bundle("2.0.0"))
            .WithChannels(Channel("production", bundle, isPublic: true, policy: policy));
}

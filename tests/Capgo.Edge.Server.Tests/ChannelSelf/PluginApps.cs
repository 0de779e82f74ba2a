using System.Text.Json.Nodes;
using Capgo.Edge.Server.Tests.Infrastructure;
using Capgo.Edge.Server.Tests.Stats;
using Capgo.Edge.Tests.Support;

namespace Capgo.Edge.Server.Tests.ChannelSelf;

/// <summary>
/// The shipped sample app (samples/projection/com.demo.app.json), a few purpose-built apps, plugin-shaped
/// bodies, and a way to start an in-process edge on them. Shared by the ChannelSelf, Admin,
/// Observability and Abuse tests.
/// </summary>
internal static class PluginApps
{
    public const string SampleAppId = "com.demo.app";

    /// <summary>The sample pins this device to <c>development</c> (private, <c>allow_prod: false</c>).</summary>
    public const string PinnedDevice = "3e0f3a8c-51b6-4c58-9a34-2f1d2c7b9e10";

    /// <summary>An app whose public channel allows self-assignment; every channel refuses emulators.</summary>
    public const string ChoiceAppId = "com.choice.app";

    public const string CancelledAppId = "com.cancelled.app";
    public const string UnknownAppId = "com.nobody.app";

    public const string NewPlugin = "8.51.23";
    public const string OldPlugin = "5.2.1";

    /// <summary>What the sample's production serves outside (1.4.0) and inside (1.5.0) its 25 % rollout.</summary>
    public static readonly string[] ProductionVersions = ["1.4.0", "1.5.0"];

    public const string BetaVersion = "1.6.0-beta.1";

    public static JsonObject Sample() => JsonNode.Parse(File.ReadAllText(StatsSamples.SamplePath()))!.AsObject();

    public static JsonObject ChoiceApp() => new()
    {
        ["app_id"] = ChoiceAppId,
        ["status"] = "active",
        ["bundles"] = new JsonArray { Bundle(ChoiceAppId, "1.4.0"), Bundle(ChoiceAppId, BetaVersion) },
        ["channels"] = new JsonArray
        {
            new JsonObject
            {
                ["name"] = "production", ["bundle"] = "1.4.0", ["public"] = true, ["allow_device_self_set"] = true,
                ["electron"] = false, ["allow_emulator"] = false,
            },
            new JsonObject
            {
                ["name"] = "beta", ["bundle"] = BetaVersion, ["public"] = false, ["allow_device_self_set"] = true,
                ["allow_dev"] = false, ["allow_emulator"] = false,
            },
            new JsonObject { ["name"] = "internal", ["bundle"] = BetaVersion, ["public"] = false, ["allow_device_self_set"] = false },
        },
    };

    public static JsonObject CancelledApp()
    {
        var app = Sample();
        app["app_id"] = CancelledAppId;
        app["status"] = "cancelled";
        app.Remove("device_overrides");
        return app;
    }

    public static JsonObject Bundle(string appId, string name) => new()
    {
        ["name"] = name,
        ["url"] = $"https://cdn.example.com/{appId}/{name}.zip",
        ["checksum"] = "c0ffee00",
        ["session_key"] = "",
    };

    public static string NewDevice() => Guid.NewGuid().ToString();

    /// <summary>A plugin body (update check, /channel_self) for an Android device on native 1.2.0 running 1.3.1.</summary>
    public static JsonObject Body(
        string pluginVersion,
        string deviceId,
        string appId = SampleAppId,
        string platform = "android",
        string? channel = null,
        string? defaultChannel = null)
    {
        var body = new JsonObject
        {
            ["platform"] = platform,
            ["device_id"] = deviceId,
            ["app_id"] = appId,
            ["custom_id"] = "",
            ["version_build"] = "1.2.0",
            ["version_code"] = "42",
            ["version_os"] = "14",
            ["version_name"] = "1.3.1",
            ["plugin_version"] = pluginVersion,
            ["is_emulator"] = false,
            ["is_prod"] = true,
        };
        if (channel is not null)
        {
            body["channel"] = channel;
        }

        if (defaultChannel is not null)
        {
            body["defaultChannel"] = defaultChannel;
        }

        return body;
    }

    public static JsonObject WithField(this JsonObject body, string field, JsonNode? value)
    {
        if (value is null)
        {
            body.Remove(field);
        }
        else
        {
            body[field] = value;
        }

        return body;
    }

    /// <summary>The body's fields as a query string (booleans lower-case), for DELETE and GET.</summary>
    public static string Query(JsonObject body) =>
        string.Join("&", body.Select(p => Uri.EscapeDataString(p.Key) + "=" + Uri.EscapeDataString(
            p.Value!.GetValueKind() switch
            {
                System.Text.Json.JsonValueKind.True => "true",
                System.Text.Json.JsonValueKind.False => "false",
                _ => (string)p.Value!,
            })));

    /// <summary>Writes the documents into a folder and starts an edge on it, ready to answer.</summary>
    public static Task<TestEdge> StartEdgeAsync(TempDirectory directory, JsonObject[] apps, params string[] extraArgs)
    {
        foreach (var app in apps)
        {
            directory.WriteAtomically((string)app["app_id"]! + ".json", app.ToJsonString());
        }

        return TestEdge.StartAsync(TestEdgeOptions.Standalone(directory.Path, extraArgs) with
        {
            WaitForApps = [.. apps.Select(static app => (string)app["app_id"]!)],
        });
    }
}

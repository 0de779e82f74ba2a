using System.Text.Json.Nodes;

namespace Capgo.Edge.Server.Tests.Infrastructure;

/// <summary>
/// App documents built so that each golden reply of the vectors arises from the data: bundle 1.4.0
/// is read from the manifest offer vector, the blocked bundle from the blocked-major vector.
/// </summary>
internal static class TestProjection
{
    public const string AppId = "com.demo.app";
    public const string CancelledAppId = "com.cancelled.app";
    public const string UnknownAppId = "com.unknown.app";

    /// <summary>The demo app with <c>expose_metadata: false</c>.</summary>
    public const string QuietAppId = "com.quiet.app";

    /// <summary>Self-assignable; its bundle has only a URL (no checksum, no session key in the document).</summary>
    public const string Bare = "bare";

    /// <summary>Self-assignable; its bundle has a manifest and no URL.</summary>
    public const string ManifestOnly = "manifest-only";

    /// <summary>Self-assignable; its bundle has an empty link and a comment.</summary>
    public const string CommentOnly = "comment-only";

    public const string BareVersion = "1.7.0";
    public const string ManifestOnlyVersion = "1.8.0";
    public const string CommentOnlyVersion = "1.9.0";
    public const string OnlyComment = "Only a comment";

    /// <summary>How many app documents <see cref="WriteAll"/> writes.</summary>
    public const int AppCount = 3;

    /// <summary>Public, serves the offered bundle to every platform but electron.</summary>
    public const string Production = "production";

    /// <summary>Self-assignable (the Android vector asks for it), serves the offered bundle.</summary>
    public const string Beta = "beta";

    /// <summary>Self-assignable, serves the next major: blocked by <c>disable_auto_update = major</c>.</summary>
    public const string Next = "next";

    /// <summary>Not public, not self-assignable: a device cannot ask for it.</summary>
    public const string Private = "internal";

    /// <summary>The bundle of the offer vectors (1.4.0).</summary>
    public static JsonObject OfferedBundle()
    {
        var offer = Vectors.Object(Vectors.ReplyUpdateAvailableManifest);
        return new JsonObject
        {
            ["name"] = offer["version"]!.DeepClone(),
            ["url"] = offer["url"]!.DeepClone(),
            ["checksum"] = offer["checksum"]!.DeepClone(),
            ["session_key"] = offer["session_key"]!.DeepClone(),
            ["key_id"] = null,
            ["min_update_version"] = null,
            ["link"] = offer["link"]!.DeepClone(),
            ["comment"] = offer["comment"]!.DeepClone(),
            ["deleted"] = false,
            ["manifest"] = offer["manifest"]!.DeepClone(),
        };
    }

    public static string OfferedVersion => (string)Vectors.Object(Vectors.ReplyUpdateAvailableManifest)["version"]!;

    /// <summary>The bundle of the blocked-major vector (2.0.0).</summary>
    public static string BlockedVersion => (string)Vectors.Object(Vectors.ReplyBlockedMajor)["version"]!;

    public static JsonObject DemoApp(string productionBundle = "", string? extraBundle = null)
    {
        var offered = OfferedVersion;
        var bundles = new JsonArray
        {
            Bundle("1.3.1", "a1b2c3d4"),
            OfferedBundle(),
            Bundle(BlockedVersion, "2e2e2e2e"),
            Bundle("1.5.0", "77aa12fe"),
            new JsonObject { ["name"] = BareVersion, ["url"] = $"https://cdn.example.com/{AppId}/{BareVersion}.zip" },
            new JsonObject { ["name"] = ManifestOnlyVersion, ["checksum"] = "0d0d0d0d", ["session_key"] = "", ["manifest"] = OfferedBundle()["manifest"]!.DeepClone() },
            new JsonObject
            {
                ["name"] = CommentOnlyVersion,
                ["url"] = $"https://cdn.example.com/{AppId}/{CommentOnlyVersion}.zip",
                ["checksum"] = "19191919",
                ["session_key"] = "",
                ["link"] = "",
                ["comment"] = OnlyComment,
            },
        };
        if (extraBundle is not null)
        {
            bundles.Add(Bundle(extraBundle, "e0e0e0e0"));
        }

        return new JsonObject
        {
            ["app_id"] = AppId,
            ["status"] = "active",
            ["expose_metadata"] = true,
            ["bundles"] = bundles,
            ["channels"] = new JsonArray
            {
                new JsonObject
                {
                    ["name"] = Production,
                    ["bundle"] = productionBundle.Length > 0 ? productionBundle : offered,
                    ["public"] = true,
                    ["allow_device_self_set"] = false,
                    ["ios"] = true,
                    ["android"] = true,
                    ["electron"] = false,
                    ["disable_auto_update"] = "major",
                    ["disable_auto_update_under_native"] = true,
                },
                new JsonObject
                {
                    ["name"] = Beta,
                    ["bundle"] = offered,
                    ["public"] = false,
                    ["allow_device_self_set"] = true,
                    ["disable_auto_update"] = "major",
                },
                new JsonObject
                {
                    ["name"] = Next,
                    ["bundle"] = BlockedVersion,
                    ["public"] = false,
                    ["allow_device_self_set"] = true,
                    ["disable_auto_update"] = "major",
                },
                SelfAssignable(Bare, BareVersion),
                SelfAssignable(ManifestOnly, ManifestOnlyVersion),
                SelfAssignable(CommentOnly, CommentOnlyVersion),
                new JsonObject
                {
                    ["name"] = Private,
                    ["bundle"] = offered,
                    ["public"] = false,
                    ["allow_device_self_set"] = false,
                },
            },
            ["device_overrides"] = new JsonObject(),
        };
    }

    private static JsonObject SelfAssignable(string name, string bundle) => new()
    {
        ["name"] = name,
        ["bundle"] = bundle,
        ["public"] = false,
        ["allow_device_self_set"] = true,
        ["disable_auto_update"] = "major",
    };

    public static JsonObject QuietApp()
    {
        var app = DemoApp();
        app["app_id"] = QuietAppId;
        app["expose_metadata"] = false;
        return app;
    }

    public static JsonObject CancelledApp() => new()
    {
        ["app_id"] = CancelledAppId,
        ["status"] = "cancelled",
        ["bundles"] = new JsonArray { Bundle("1.0.0", "00000001") },
        ["channels"] = new JsonArray
        {
            new JsonObject { ["name"] = Production, ["bundle"] = "1.0.0", ["public"] = true },
        },
    };

    public static JsonObject Bundle(string name, string checksum) => new()
    {
        ["name"] = name,
        ["url"] = $"https://cdn.example.com/{AppId}/{name}.zip",
        ["checksum"] = checksum,
        ["session_key"] = "",
    };

    /// <summary>Writes the demo and cancelled apps into a folder.</summary>
    public static void WriteAll(TempDirectory directory)
    {
        directory.WriteAtomically(AppId + ".json", DemoApp().ToJsonString());
        directory.WriteAtomically(CancelledAppId + ".json", CancelledApp().ToJsonString());
        directory.WriteAtomically(QuietAppId + ".json", QuietApp().ToJsonString());
    }

    /// <summary>The Android vector with some fields replaced (null removes the field).</summary>
    public static JsonObject AndroidRequest(params (string Field, JsonNode? Value)[] changes) =>
        Change(Vectors.Object(Vectors.AndroidRequest), changes);

    public static JsonObject Change(JsonObject body, params (string Field, JsonNode? Value)[] changes)
    {
        foreach (var (field, value) in changes)
        {
            if (value is null)
            {
                body.Remove(field);
            }
            else
            {
                body[field] = value;
            }
        }

        return body;
    }
}

using System.Text;
using System.Text.Json.Nodes;
using Capgo.Edge.Server.Tests.Admin;
using Capgo.Edge.Server.Tests.Infrastructure;
using static Capgo.Edge.Server.Tests.ChannelSelf.PluginApps;

namespace Capgo.Edge.Server.Tests;

/// <summary>
/// <c>POST /updates</c> is answered by the JSON guard from its own parse (<c>HttpApi:ServeChecksDirectly</c>,
/// the default) instead of by gRPC JSON transcoding. Two edges on the same projection, one each way,
/// must answer every outcome with the same status, headers and body bytes.
/// </summary>
public sealed class DirectJsonReplyTests
{
    private const string KeyAppId = "com.keys.app";
    private const string DeviceKey = "device-key";

    /// <summary>Characters the two JSON writers could escape differently.</summary>
    private const string AwkwardComment = "Café <b>bold</b> & 'quotes' \"double\" \\ / + 😀 \u2028 \t end";

    private static JsonObject KeyApp()
    {
        var bundle = Bundle(KeyAppId, "2.1.0");
        bundle["key_id"] = "bundle-key";
        bundle["link"] = "https://example.com/notes?a=1&b=<2>";
        bundle["comment"] = AwkwardComment;
        bundle["manifest"] = new JsonArray
        {
            new JsonObject { ["file_name"] = "index.html", ["file_hash"] = "abc", ["download_url"] = "https://cdn.example.com/i.html" },
            new JsonObject { ["file_name"] = "ünï.js", ["file_hash"] = "d3f", ["download_url"] = "https://cdn.example.com/u.js" },
        };
        var plain = Bundle(KeyAppId, "2.2.0");
        plain["comment"] = AwkwardComment;
        plain["link"] = "";
        return new JsonObject
        {
            ["app_id"] = KeyAppId,
            ["status"] = "active",
            ["expose_metadata"] = true,
            ["bundles"] = new JsonArray { Bundle(KeyAppId, "1.0.0"), bundle, plain },
            ["channels"] = new JsonArray
            {
                new JsonObject { ["name"] = "production", ["bundle"] = "2.1.0", ["public"] = true },
                new JsonObject { ["name"] = "plain", ["bundle"] = "2.2.0", ["public"] = false, ["allow_device_self_set"] = true },
                new JsonObject
                {
                    ["name"] = "misconfigured", ["bundle"] = "2.2.0", ["public"] = false, ["allow_device_self_set"] = true,
                    ["disable_auto_update"] = "version_number",
                },
            },
        };
    }

    /// <summary>One body per reply shape: offers with and without manifest or metadata, every kind of refusal.</summary>
    private static IEnumerable<(string Name, JsonObject Body)> Cases()
    {
        yield return ("vector offer (manifest, link, comment)", TestProjection.AndroidRequest());
        yield return ("old plugin offer (no manifest, no metadata)", JsonNode.Parse(Vectors.Bytes(Vectors.OldPluginRequest))!.AsObject());
        yield return ("prerelease plugin of x.35 (manifest, no metadata)", TestProjection.AndroidRequest(("plugin_version", "8.35.0-beta.1")));
        yield return ("up to date", TestProjection.AndroidRequest(("version_name", TestProjection.OfferedVersion)));
        yield return ("blocked major", TestProjection.AndroidRequest(("defaultChannel", TestProjection.Next)));
        yield return ("private channel asked for", TestProjection.AndroidRequest(("defaultChannel", TestProjection.Private)));
        yield return ("quiet app", TestProjection.AndroidRequest(("app_id", TestProjection.QuietAppId)));
        yield return ("cancelled app (429)", TestProjection.AndroidRequest(("app_id", TestProjection.CancelledAppId)));
        yield return ("unknown app (429)", TestProjection.AndroidRequest(("app_id", TestProjection.UnknownAppId)));
        yield return ("plugin v4", TestProjection.AndroidRequest(("plugin_version", "4.15.3")));
        yield return ("bare channel", TestProjection.AndroidRequest(("defaultChannel", TestProjection.Bare)));
        yield return ("manifest-only channel", TestProjection.AndroidRequest(("defaultChannel", TestProjection.ManifestOnly)));
        yield return ("comment-only channel", TestProjection.AndroidRequest(("defaultChannel", TestProjection.CommentOnly)));

        var device = NewDevice();
        yield return ("explain app production", Body(NewPlugin, device, ExplainTests.ExplainAppId));
        yield return ("explain app ios-only override", Body(NewPlugin, ExplainTests.IosOnlyDevice, ExplainTests.ExplainAppId));
        yield return ("explain app next (major)", Body(NewPlugin, device, ExplainTests.ExplainAppId, defaultChannel: "next"));
        yield return ("explain app old", Body(NewPlugin, device, ExplainTests.ExplainAppId, defaultChannel: "old"));
        yield return ("explain app metadata", Body(NewPlugin, device, ExplainTests.ExplainAppId, defaultChannel: "metadata").WithField("version_name", "1.0.0"));
        yield return ("explain app no-dev", Body(NewPlugin, device, ExplainTests.ExplainAppId, defaultChannel: "no-dev").WithField("is_prod", false));
        yield return ("explain app no-device", Body(NewPlugin, device, ExplainTests.ExplainAppId, defaultChannel: "no-device"));
        yield return ("explain app no-emulator", Body(NewPlugin, device, ExplainTests.ExplainAppId, defaultChannel: "no-emulator").WithField("is_emulator", true));
        yield return ("explain app builtin", Body(NewPlugin, device, ExplainTests.ExplainAppId, defaultChannel: "builtin"));
        yield return ("explain app builtin, old plugin", Body("4.0.0", device, ExplainTests.ExplainAppId, defaultChannel: "builtin"));
        yield return ("explain app builtin, plugin 5.0", Body("5.0.0", device, ExplainTests.ExplainAppId, defaultChannel: "builtin"));
        yield return ("key app offer with awkward text", Body(NewPlugin, device, KeyAppId));
        yield return ("key app key id mismatch", Body(NewPlugin, device, KeyAppId).WithField("key_id", DeviceKey));
        yield return ("key app plain (empty link)", Body(NewPlugin, device, KeyAppId, defaultChannel: "plain"));
        yield return ("key app misconfigured channel", Body(NewPlugin, device, KeyAppId, defaultChannel: "misconfigured"));
        yield return ("key app below native", Body(NewPlugin, device, KeyAppId).WithField("version_build", "3.0.0").WithField("version_name", "3.0.0"));
    }

    [Fact]
    public async Task Direct_and_transcoded_replies_are_identical_for_every_outcome()
    {
        using var directDirectory = new TempDirectory();
        using var transcodedDirectory = new TempDirectory();
        await using var direct = await EdgeServer.StartAsync(directDirectory.Path);
        await using var transcoded = await EdgeServer.StartAsync(transcodedDirectory.Path, "--HttpApi:ServeChecksDirectly=false");

        // Before the first projection: 503 not_ready from both.
        await AssertSameAsync("not ready", TestProjection.AndroidRequest(), direct, transcoded, expectedStatus: 503);

        JsonObject[] apps = [TestProjection.DemoApp(), TestProjection.CancelledApp(), TestProjection.QuietApp(), ExplainTests.ExplainApp(), KeyApp()];
        foreach (var directory in new[] { directDirectory, transcodedDirectory })
        {
            foreach (var app in apps)
            {
                directory.WriteAtomically((string)app["app_id"]! + ".json", app.ToJsonString());
            }
        }

        foreach (var edge in new[] { direct, transcoded })
        {
            await Wait.UntilAsync(
                async () =>
                {
                    var ready = await edge.GetAsync("/healthz/ready");
                    return ready.Status == System.Net.HttpStatusCode.OK && (int)ready.Json()["apps"]! == apps.Length;
                },
                TimeSpan.FromSeconds(10),
                $"the edge never loaded its {apps.Length} apps (a document the parser refuses?)");
        }

        var codes = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, body) in Cases())
        {
            var reply = await AssertSameAsync(name, body, direct, transcoded);
            codes.Add(reply.Json()["error"] is { } error ? (string)error! : "offer");
        }

        // The cases really reach the different reply shapes, not one shape many times.
        string[] expected =
        [
            "offer", "no_new_version_available", "disable_auto_update_to_major", "on_premise_app", "unsupported_plugin_version",
            "key_id_mismatch", "misconfigured_channel", "already_on_builtin", "disable_dev_build", "disable_device",
            "disable_emulator", "disable_auto_update_under_native",
        ];
        Assert.True(expected.All(codes.Contains), $"reached: {string.Join(", ", codes.Order())}");
    }

    private static async Task<HttpReply> AssertSameAsync(string name, JsonObject body, EdgeServer direct, EdgeServer transcoded, int? expectedStatus = null)
    {
        var bytes = Encoding.UTF8.GetBytes(body.ToJsonString());
        var a = await direct.PostUpdatesAsync(bytes);
        var b = await transcoded.PostUpdatesAsync(bytes);

        Assert.True(a.Status == b.Status, $"{name}: status direct {a} vs transcoded {b}");
        if (expectedStatus is { } status)
        {
            Assert.True((int)a.Status == status, $"{name}: {a}");
        }

        Assert.True(
            a.Message.Content.Headers.ContentType?.ToString() == b.Message.Content.Headers.ContentType?.ToString(),
            $"{name}: content type direct {a.Message.Content.Headers.ContentType} vs transcoded {b.Message.Content.Headers.ContentType}");
        Assert.True(a.Text == b.Text, $"{name}: body\n direct     {a.Text}\n transcoded {b.Text}");
        Assert.True(a.Generation.HasValue == b.Generation.HasValue, $"{name}: generation header direct {a.Generation} vs transcoded {b.Generation}");
        Assert.True(a.Message.Headers.RetryAfter?.ToString() == b.Message.Headers.RetryAfter?.ToString(), $"{name}: Retry-After");
        return a;
    }
}

using System.Text;
using System.Text.Json.Nodes;
using Capgo.Edge.Server.Tests.Admin;
using Capgo.Edge.Server.Tests.Infrastructure;
using Capgo.Edge.Tests.Support;
using static Capgo.Edge.Server.Tests.ChannelSelf.PluginApps;

namespace Capgo.Edge.Server.Tests.Updates;

/// <summary>
/// <c>POST /updates</c> is answered by <c>JsonCheckEndpoint</c>, not by gRPC JSON transcoding of the same
/// proto route; transcoding stays the reference. The edge and <see cref="TranscodingReference"/> on the
/// same projection must answer every request vector and every reply shape with the same status,
/// content type and body bytes. Refusals (429, 503) are gRPC errors on the reference, so those replies
/// are held to the contract's vectors instead.
/// </summary>
public sealed class JsonCheckEndpointTests
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
        foreach (var vector in Vectors.RequestNames())
        {
            yield return ("vector " + vector, Vectors.Object(vector));
        }

        yield return ("vector offer (manifest, link, comment)", TestProjection.AndroidRequest());
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
    public async Task The_endpoint_answers_every_vector_and_reply_shape_with_the_bytes_of_stock_transcoding()
    {
        using var endpointDirectory = new TempDirectory();
        using var referenceDirectory = new TempDirectory();
        await using var edge = await TestEdge.StartAsync(endpointDirectory.Path);
        await using var reference = await TestEdge.StartAsync(new TestEdgeOptions { ProjectionDirectory = referenceDirectory.Path, Build = TranscodingReference.Build });

        // Before the first projection: 503 not_ready in the contract's shape.
        var notReady = await edge.PostUpdatesAsync(TestProjection.AndroidRequest());
        Assert.Equal(System.Net.HttpStatusCode.ServiceUnavailable, notReady.Status);
        Assert.Equal("""{"error":"not_ready","message":"The edge has not loaded a projection yet"}""", notReady.Text);

        JsonObject[] apps = [TestProjection.DemoApp(), TestProjection.CancelledApp(), TestProjection.QuietApp(), ExplainTests.ExplainApp(), KeyApp()];
        foreach (var directory in new[] { endpointDirectory, referenceDirectory })
        {
            foreach (var app in apps)
            {
                directory.WriteAtomically((string)app["app_id"]! + ".json", app.ToJsonString());
            }
        }

        foreach (var server in new[] { edge, reference })
        {
            await Eventually.TrueAsync(
                () => server.Store.IsLoaded && server.Store.Count == apps.Length,
                $"the edge never loaded its {apps.Length} apps (a document the parser refuses?)",
                TimeSpan.FromSeconds(10));
        }

        var codes = new HashSet<string>(StringComparer.Ordinal);
        var vectors = 0;
        foreach (var (name, body) in Cases())
        {
            var bytes = Encoding.UTF8.GetBytes(body.ToJsonString());
            var answer = await edge.PostUpdatesAsync(bytes);
            if ((string?)answer.Json()["error"] == "on_premise_app")
            {
                Assert.True(answer.Status == System.Net.HttpStatusCode.TooManyRequests, $"{name}: {answer}");
                Assert.True(JsonNode.DeepEquals(Vectors.Object(Vectors.ReplyUnknownApp429), answer.Json()), $"{name}: {answer.Text}");
                codes.Add("on_premise_app");
                continue;
            }

            Assert.True(answer.Generation.HasValue, $"{name}: no generation header on {answer}");
            var expected = await reference.PostUpdatesAsync(bytes);
            Assert.True(expected.Status == System.Net.HttpStatusCode.OK, $"{name}: the reference answered {expected}");
            Assert.True(answer.Status == expected.Status, $"{name}: status endpoint {answer} vs transcoding {expected}");
            Assert.True(
                answer.Message.Content.Headers.ContentType?.ToString() == expected.Message.Content.Headers.ContentType?.ToString(),
                $"{name}: content type endpoint {answer.Message.Content.Headers.ContentType} vs transcoding {expected.Message.Content.Headers.ContentType}");
            Assert.True(answer.Text == expected.Text, $"{name}: body\n endpoint    {answer.Text}\n transcoding {expected.Text}");
            codes.Add(answer.Json()["error"] is { } error ? (string)error! : "offer");
            vectors += name.StartsWith("vector ", StringComparison.Ordinal) ? 1 : 0;
        }

        // The cases really reach the different reply shapes and every request vector, not one shape many times.
        Assert.True(vectors >= 4, $"only {vectors} request vectors were compared");
        string[] reached =
        [
            "offer", "no_new_version_available", "disable_auto_update_to_major", "on_premise_app", "unsupported_plugin_version",
            "key_id_mismatch", "misconfigured_channel", "already_on_builtin", "disable_dev_build", "disable_device",
            "disable_emulator", "disable_auto_update_under_native",
        ];
        Assert.True(reached.All(codes.Contains), $"reached: {string.Join(", ", codes.Order())}");
    }
}

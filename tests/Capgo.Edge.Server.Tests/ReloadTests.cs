using System.Net;
using System.Text.Json.Nodes;
using Capgo.Edge.Contracts.V1;
using Capgo.Edge.Server.Tests.Infrastructure;
using Capgo.Edge.Tests.Support;
using Google.Protobuf;

namespace Capgo.Edge.Server.Tests;

/// <summary>
/// Standalone mode: rewriting an app document re-points the answers within seconds with a higher
/// generation; a broken document is refused whole and the last good snapshot keeps answering.
/// Uses the process defaults (file-system watcher, 2 s rescan).
/// </summary>
public sealed class ReloadTests : IAsyncLifetime, IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private static readonly string DemoFile = TestProjection.AppId + ".json";

    private readonly TempDirectory _directory = new();
    private TestEdge? _edge;
    private int _markers;

    private TestEdge Edge => _edge!;

    public async Task InitializeAsync()
    {
        TestProjection.WriteAll(_directory);
        _edge = await TestEdge.StartAsync(new TestEdgeOptions { ProjectionDirectory = _directory.Path, WaitReady = true });
    }

    public async Task DisposeAsync()
    {
        if (_edge is not null)
        {
            await _edge.DisposeAsync();
        }
    }

    public void Dispose() => _directory.Dispose();

    /// <summary>The old-plugin vector: the public channel's bundle, no manifest.</summary>
    private Task<HttpReply> CheckAsync() => Edge.PostUpdatesAsync(Vectors.Bytes(Vectors.OldPluginRequest));

    [Fact]
    public async Task Rewriting_the_document_changes_the_reply_and_raises_the_generation()
    {
        var before = await CheckAsync();
        Assert.Equal(TestProjection.OfferedVersion, (string)PluginReply.AssertOffer(before)["version"]!);
        var generation = before.Generation ?? throw new Xunit.Sdk.XunitException("no x-capgo-generation header");

        _directory.WriteAtomically(DemoFile, TestProjection.DemoApp(productionBundle: "1.5.0").ToJsonString());

        HttpReply after = before;
        await Eventually.TrueAsync(
            async () => (string?)(after = await CheckAsync()).Json()["version"] == "1.5.0",
            "the reply never changed to the re-pointed bundle",
            Timeout);
        var offer = PluginReply.AssertOffer(after);
        JsonTree.AssertEqual(
            new JsonObject { ["version"] = "1.5.0", ["url"] = "https://cdn.example.com/com.demo.app/1.5.0.zip", ["session_key"] = "", ["checksum"] = "77aa12fe" },
            offer);
        Assert.True(after.Generation > generation, $"generation {after.Generation} is not above {generation}");

        // gRPC sees the same snapshot.
        var request = JsonParser.Default.Parse<UpdateRequest>(System.Text.Encoding.UTF8.GetString(Vectors.Bytes(Vectors.OldPluginRequest)));
        using var call = Edge.Client.CheckForUpdateAsync(request, deadline: DateTime.UtcNow.AddSeconds(30));
        var reply = await call.ResponseAsync;
        Assert.Equal("1.5.0", reply.Version);
        Assert.Equal(after.Generation, reply.Generation);
    }

    [Theory]
    [InlineData("bad JSON")]
    [InlineData("unknown bundle")]
    [InlineData("override to an unknown channel")]
    [InlineData("two public channels")]
    [InlineData("not an object")]
    public async Task A_broken_document_is_rejected_and_the_last_good_snapshot_keeps_answering(string breakage)
    {
        var before = await CheckAsync();
        var beforeBody = PluginReply.AssertOffer(before);

        var document = TestProjection.DemoApp(productionBundle: "1.5.0");
        var broken = breakage switch
        {
            "bad JSON" => document.ToJsonString()[..^20],
            "unknown bundle" => TestProjection.DemoApp(productionBundle: "9.9.9").ToJsonString(),
            "override to an unknown channel" => WithOverride(TestProjection.DemoApp(productionBundle: "1.5.0"), "nowhere").ToJsonString(),
            "two public channels" => WithSecondPublicChannel(TestProjection.DemoApp(productionBundle: "1.5.0")).ToJsonString(),
            "not an object" => "[]",
            _ => throw new ArgumentOutOfRangeException(nameof(breakage)),
        };
        _directory.WriteAtomically(DemoFile, broken);
        await WaitForScanAfterAsync();

        var after = await CheckAsync();
        JsonTree.AssertEqual(beforeBody, PluginReply.AssertOffer(after));
        Assert.Equal(before.Generation, after.Generation);

        // A good document afterwards still applies.
        _directory.WriteAtomically(DemoFile, document.ToJsonString());
        await Eventually.TrueAsync(async () => (string?)(await CheckAsync()).Json()["version"] == "1.5.0", "a good document after a broken one never applied", Timeout);
    }

    [Fact]
    public async Task A_valid_document_that_is_only_partly_changed_is_applied_whole()
    {
        // Re-point production and make beta private to self-assignment in one write.
        var document = TestProjection.DemoApp(productionBundle: "1.5.0");
        var beta = document["channels"]!.AsArray().Single(c => (string)c!["name"]! == TestProjection.Beta)!;
        beta["allow_device_self_set"] = false;
        _directory.WriteAtomically(DemoFile, document.ToJsonString());

        await Eventually.TrueAsync(async () => (string?)(await CheckAsync()).Json()["version"] == "1.5.0", "never reloaded", Timeout);

        var android = PluginReply.AssertNoUpdate(await Edge.PostUpdatesAsync(Vectors.Bytes(Vectors.AndroidRequest)));
        Assert.Equal("no_channel", (string)android["error"]!);
    }

    [Fact]
    public async Task Deleting_the_document_removes_the_app()
    {
        File.Delete(Path.Combine(_directory.Path, DemoFile));

        await Eventually.TrueAsync(async () => (await CheckAsync()).Status == HttpStatusCode.TooManyRequests, "the app was never removed", Timeout);
        JsonTree.AssertEqual(Vectors.Object(Vectors.ReplyUnknownApp429), (await CheckAsync()).Json());
    }

    /// <summary>
    /// Waits until the folder has been scanned after everything written so far: a new marker app is
    /// written last and becomes visible only once a scan saw the whole folder after it.
    /// </summary>
    private async Task WaitForScanAfterAsync()
    {
        var appId = $"com.marker.m{++_markers}";
        var marker = TestProjection.DemoApp();
        marker["app_id"] = appId;
        _directory.WriteAtomically(appId + ".json", marker.ToJsonString());
        var request = TestProjection.AndroidRequest(("app_id", appId));
        await Eventually.TrueAsync(async () => (await Edge.PostUpdatesAsync(request)).Status == HttpStatusCode.OK, $"marker {appId} never loaded", Timeout);
    }

    private static JsonObject WithOverride(JsonObject document, string channel)
    {
        document["device_overrides"] = new JsonObject { ["00009a6b-eefe-490a-9c60-8e965132ae51"] = channel };
        return document;
    }

    private static JsonObject WithSecondPublicChannel(JsonObject document)
    {
        document["channels"]!.AsArray().Add(new JsonObject { ["name"] = "public-too", ["bundle"] = "1.5.0", ["public"] = true, ["android"] = true });
        return document;
    }
}

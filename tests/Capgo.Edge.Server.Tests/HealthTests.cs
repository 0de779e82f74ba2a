using System.Net;
using Capgo.Edge.Contracts.V1;
using Capgo.Edge.Server.Tests.Infrastructure;
using Capgo.Edge.Tests.Support;
using Google.Protobuf;
using Grpc.Core;

namespace Capgo.Edge.Server.Tests;

/// <summary>
/// Readiness follows the projection: not ready (and checks refused with 503) until a document loads.
/// The public probes answer a status word; the admin endpoint's <c>/healthz</c> the reason and the data.
/// </summary>
public sealed class HealthTests : IAsyncLifetime, IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private readonly TempDirectory _directory = new();
    private TestEdge? _edge;

    private TestEdge Edge => _edge!;

    public Task InitializeAsync() => Task.CompletedTask;

    private async Task StartAsync(string directory) =>
        _edge = await TestEdge.StartAsync(TestEdgeOptions.Standalone(directory, "--Projection:PollInterval=00:00:00.200") with { Admin = true });

    public async Task DisposeAsync()
    {
        if (_edge is not null)
        {
            await _edge.DisposeAsync();
        }
    }

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task Empty_folder_is_not_ready_and_becomes_ready_when_a_document_is_written()
    {
        await StartAsync(_directory.Path);

        await AssertNotReadyAsync();

        TestProjection.WriteAll(_directory);
        await Eventually.TrueAsync(async () => (await Edge.GetAsync("/healthz/ready")).Status == HttpStatusCode.OK, "/healthz/ready never answered 200", Timeout);

        var reply = await Edge.PostUpdatesAsync(Vectors.Bytes(Vectors.AndroidRequest));
        JsonTree.AssertEqual(Vectors.Object(Vectors.ReplyUpdateAvailableManifest), PluginReply.AssertOffer(reply));
        Assert.Equal("""{"status":"ready"}""", (await Edge.GetAsync("/healthz/ready")).Text);
        var details = (await Edge.AdminGetAsync("/healthz")).Json();
        Assert.Equal("ready", (string)details["status"]!);
        var projection = details["checks"]!["projection"]!;
        Assert.Null(projection["reason"]);
        Assert.Equal(TestProjection.AppCount, (int)projection["data"]!["apps"]!);
        Assert.Equal("standalone", (string)projection["data"]!["source"]!);
    }

    [Fact]
    public async Task Missing_folder_is_not_ready_and_becomes_ready_when_it_appears()
    {
        var missing = Path.Combine(_directory.Path, "not-yet");
        await StartAsync(missing);

        await AssertNotReadyAsync();

        Directory.CreateDirectory(missing);
        File.WriteAllText(Path.Combine(missing, TestProjection.AppId + ".json"), TestProjection.DemoApp().ToJsonString());
        await Eventually.TrueAsync(async () => (await Edge.GetAsync("/healthz/ready")).Status == HttpStatusCode.OK, "/healthz/ready never answered 200", Timeout);

        PluginReply.AssertOffer(await Edge.PostUpdatesAsync(Vectors.Bytes(Vectors.AndroidRequest)));
    }

    [Fact]
    public async Task Liveness_answers_before_the_projection_loads()
    {
        await StartAsync(_directory.Path);

        var live = await Edge.GetAsync("/healthz/live");

        Assert.Equal(HttpStatusCode.OK, live.Status);
        Assert.Equal("""{"status":"live"}""", live.Text);
    }

    private async Task AssertNotReadyAsync()
    {
        var ready = await Edge.GetAsync("/healthz/ready");
        Assert.True(ready.Status == HttpStatusCode.ServiceUnavailable, $"expected 503 before any document, got {ready}");
        Assert.Equal("""{"status":"not_ready"}""", ready.Text);
        var details = await Edge.AdminGetAsync("/healthz");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, details.Status);
        Assert.Equal("no_projection", (string)details.Json()["checks"]!["projection"]!["reason"]!);

        // A valid check is refused with 503 not_ready (an error body the plugin reads as "no update").
        var check = await Edge.PostUpdatesAsync(Vectors.Bytes(Vectors.AndroidRequest));
        var body = PluginReply.AssertNoUpdate(check, HttpStatusCode.ServiceUnavailable);
        Assert.Equal("not_ready", (string)body["error"]!);
        Assert.False(body.ContainsKey("kind"));

        // Bad input is still bad input.
        var bad = await Edge.PostUpdatesAsync("{}");
        Assert.Equal(HttpStatusCode.BadRequest, bad.Status);

        // gRPC: UNAVAILABLE with the error trailer.
        var request = JsonParser.Default.Parse<UpdateRequest>(System.Text.Encoding.UTF8.GetString(Vectors.Bytes(Vectors.AndroidRequest)));
        using var call = Edge.Client.CheckForUpdateAsync(request, deadline: DateTime.UtcNow.AddSeconds(30));
        var ex = await Assert.ThrowsAsync<RpcException>(() => call.ResponseAsync);
        Assert.Equal(StatusCode.Unavailable, ex.StatusCode);
        Assert.Equal("not_ready", ex.Trailers.GetValue("capgo-error"));
    }
}

using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Capgo.Edge.ControlPlane;
using Capgo.Edge.Redis;
using Capgo.Edge.Core;
using Capgo.Edge.Server.Events;
using Capgo.Edge.Server.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;
using Capgo.Edge.Tests.Support;

namespace Capgo.Edge.Server.Tests.Stats;

/// <summary>An in-process edge on real Kestrel ports, as the process builds it.</summary>
public sealed class StatsEdge : IAsyncDisposable
{
    public const string AppId = "com.demo.app";
    public const string InactiveAppId = "com.demo.cancelled";

    private readonly WebApplication _app;
    private bool _stopped;

    private StatsEdge(WebApplication app, int httpPort)
    {
        _app = app;
        Http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{httpPort}"), Timeout = TimeSpan.FromSeconds(30) };
        Store = app.Services.GetRequiredService<ProjectionStore>();
        Events = app.Services.GetRequiredService<EventQueue>();
    }

    public HttpClient Http { get; }
    internal ProjectionStore Store { get; }
    internal EventQueue Events { get; }

    /// <summary>Redis mode: the projection and the event stream both live in <paramref name="redisConnection"/>.</summary>
    public static Task<StatsEdge> StartRedisAsync(string redisConnection, params string[] extra) =>
        StartAsync([$"--ConnectionStrings:Redis={redisConnection}", "--Sync:EdgeName=stats-edge", "--Sync:ReconcileInterval=00:00:00.500", .. extra], AppId, InactiveAppId);

    /// <summary>Standalone mode from a folder of app documents: no control plane for events.</summary>
    public static Task<StatsEdge> StartStandaloneAsync(string directory) =>
        StartAsync([$"--Projection:Directory={directory}"], AppId);

    private static async Task<StatsEdge> StartAsync(string[] args, params string[] waitForApps)
    {
        var httpPort = RedisServer.FreePort();
        var grpcPort = RedisServer.FreePort();
        var app = EdgeHost.Build(
        [
            $"--Kestrel:Endpoints:Http:Url=http://127.0.0.1:{httpPort}",
            $"--Kestrel:Endpoints:Grpc:Url=http://127.0.0.1:{grpcPort}",
            "--Logging:LogLevel:Default=Warning",
            .. args,
        ]);
        await app.StartAsync();
        var edge = new StatsEdge(app, httpPort);
        await StatsEventually.TrueAsync(() => edge.Store.IsLoaded && waitForApps.All(id => edge.Store.Find(id) is not null), "the edge to load " + string.Join(", ", waitForApps));
        return edge;
    }

    /// <summary>Posts a raw body and returns the status, the raw reply and its JSON (default when not JSON).</summary>
    public async Task<(int Status, string Text, JsonElement Json)> PostAsync(string body, string path = "/stats")
    {
        using var content = new StringContent(body, Encoding.UTF8);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        return await SendAsync(content, path);
    }

    public async Task<(int Status, string Text, JsonElement Json)> PostBytesAsync(byte[] body, string path = "/stats")
    {
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return await SendAsync(content, path);
    }

    public Task<(int Status, string Text, JsonElement Json)> PostAsync(JsonNode body) => PostAsync(body.ToJsonString());

    private async Task<(int Status, string Text, JsonElement Json)> SendAsync(HttpContent content, string path)
    {
        using var response = await Http.PostAsync(path, content);
        var text = await response.Content.ReadAsStringAsync();
        JsonElement json = default;
        try
        {
            json = JsonDocument.Parse(text).RootElement.Clone();
        }
        catch (JsonException)
        {
        }

        return ((int)response.StatusCode, text, json);
    }

    public async Task StopAsync()
    {
        if (!_stopped)
        {
            _stopped = true;
            await _app.StopAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await StopAsync();
        await _app.DisposeAsync();
    }

    /// <summary>Path of the shipped sample document, found from the test's folder up to the repository.</summary>
    public static string SamplePath()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "samples", "projection", "com.demo.app.json");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException("samples/projection/com.demo.app.json not found above " + AppContext.BaseDirectory);
    }

    /// <summary>The sample app, and a cancelled copy of it under another id.</summary>
    public static async Task PublishSamplesAsync(string redisConnection)
    {
        await using var mux = await ConnectionMultiplexer.ConnectAsync(redisConnection);
        var publisher = new ProjectionPublisher(mux, new RedisLayout());
        var sample = await File.ReadAllBytesAsync(SamplePath());
        await publisher.PublishAsync(sample);
        var cancelled = JsonNode.Parse(sample)!.AsObject();
        cancelled["app_id"] = InactiveAppId;
        cancelled["status"] = "cancelled";
        await publisher.PublishAsync(Encoding.UTF8.GetBytes(cancelled.ToJsonString()));
    }
}

/// <summary><see cref="Eventually"/> with the longer patience these tests need on a loaded machine.</summary>
public static class StatsEventually
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    public static Task TrueAsync(Func<bool> condition, string what, TimeSpan? timeout = null) =>
        Eventually.TrueAsync(condition, what, timeout ?? Patience, pollMs: 10);

    public static Task TrueAsync(Func<Task<bool>> condition, string what, TimeSpan? timeout = null) =>
        Eventually.TrueAsync(condition, what, timeout ?? Patience);
}

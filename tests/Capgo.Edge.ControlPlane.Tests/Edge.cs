using System.Net.Http.Json;
using System.Text.Json;
using Capgo.Edge.Core;
using Capgo.Edge.Server.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Capgo.Edge.Tests.Support;

namespace Capgo.Edge.ControlPlane.Tests;

/// <summary>An in-process edge on real Kestrel ports, syncing from Redis.</summary>
public sealed class Edge : IAsyncDisposable
{
    private readonly WebApplication _app;

    private Edge(WebApplication app, string name, int httpPort)
    {
        _app = app;
        Name = name;
        Http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{httpPort}") };
        Store = app.Services.GetRequiredService<ProjectionStore>();
    }

    public string Name { get; }
    public HttpClient Http { get; }
    public ProjectionStore Store { get; }

    public static async Task<Edge> StartAsync(string redisConnection, string name, bool waitReady = true)
    {
        var httpPort = RedisServer.FreePort();
        var grpcPort = RedisServer.FreePort();
        var app = EdgeHost.Build(
        [
            $"--Kestrel:Endpoints:Http:Url=http://127.0.0.1:{httpPort}",
            $"--Kestrel:Endpoints:Grpc:Url=http://127.0.0.1:{grpcPort}",
            $"--ConnectionStrings:Redis={redisConnection}",
            $"--Sync:EdgeName={name}",
            "--Sync:ReconcileInterval=00:00:00.500",
            "--Sync:HeartbeatInterval=00:00:00.200",
            "--Logging:LogLevel:Default=Warning",
        ]);
        await app.StartAsync();
        var edge = new Edge(app, name, httpPort);
        if (waitReady)
        {
            await Eventually.TrueAsync(() => edge.Store.IsLoaded, $"edge {name} to load the projection");
        }

        return edge;
    }

    public long GenerationOf(string appId) => Store.Find(appId)?.Generation ?? 0;

    /// <summary>Posts a plugin body and returns the status and the JSON reply.</summary>
    public async Task<(int Status, JsonElement Body)> CheckAsync(object body)
    {
        using var response = await Http.PostAsJsonAsync("/updates", body);
        var json = await response.Content.ReadFromJsonAsync<JsonElement>();
        return ((int)response.StatusCode, json);
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

public static class Eventually
{
    public static async Task TrueAsync(Func<bool> condition, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(15));
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Timed out waiting for {what}");
            }

            await Task.Delay(1);
        }
    }

    public static async Task TrueAsync(Func<Task<bool>> condition, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(15));
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Timed out waiting for {what}");
            }

            await Task.Delay(20);
        }
    }
}

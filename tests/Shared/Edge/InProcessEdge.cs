using System.Net.Http.Json;
using System.Text.Json;
using Capgo.Edge.Core;
using Capgo.Edge.Server.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace Capgo.Edge.Tests.Support;

/// <summary>An in-process edge on real Kestrel ports, syncing from Redis, built as the process builds it.</summary>
public sealed class InProcessEdge : IAsyncDisposable
{
    private readonly WebApplication _app;

    private InProcessEdge(WebApplication app, string? name, int httpPort)
    {
        _app = app;
        Name = name;
        Services = app.Services;
        Http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{httpPort}") };
        Store = app.Services.GetRequiredService<ProjectionStore>();
    }

    /// <summary>The configured <c>Sync:EdgeName</c>; null when the edge names itself.</summary>
    public string? Name { get; }
    public IServiceProvider Services { get; }
    public HttpClient Http { get; }
    public ProjectionStore Store { get; }

    /// <param name="redisConnection">The edge's <c>ConnectionStrings:Redis</c>.</param>
    /// <param name="name"><c>Sync:EdgeName</c>; null leaves it unset.</param>
    /// <param name="waitReady">Returns once the projection is loaded.</param>
    /// <param name="prefix"><c>Sync:Prefix</c>; null leaves the default.</param>
    public static async Task<InProcessEdge> StartAsync(string redisConnection, string? name, bool waitReady = true, string? prefix = null)
    {
        var httpPort = RedisServer.FreePort();
        var grpcPort = RedisServer.FreePort();
        List<string> args =
        [
            $"--Kestrel:Endpoints:Http:Url=http://127.0.0.1:{httpPort}",
            $"--Kestrel:Endpoints:Grpc:Url=http://127.0.0.1:{grpcPort}",
            $"--ConnectionStrings:Redis={redisConnection}",
            "--Sync:ReconcileInterval=00:00:00.500",
            "--Sync:HeartbeatInterval=00:00:00.200",
            "--Logging:LogLevel:Default=Warning",
        ];
        if (name is not null)
        {
            args.Add($"--Sync:EdgeName={name}");
        }

        if (prefix is not null)
        {
            args.Add($"--Sync:Prefix={prefix}");
        }

        var app = EdgeHost.Build([.. args]);
        await app.StartAsync();
        var edge = new InProcessEdge(app, name, httpPort);
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

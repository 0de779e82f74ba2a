using Capgo.Edge.Contracts.V1;
using Capgo.Edge.Core;
using Capgo.Edge.Server.Events;
using Capgo.Edge.Server.Hosting;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace Capgo.Edge.Tests.Support;

/// <summary>
/// The one way tests start an edge: the host built as the process builds it (or by a test's variant),
/// on real Kestrel with a JSON and a gRPC port on free loopback ports, in standalone or Redis mode.
/// </summary>
public sealed class TestEdge : IAsyncDisposable
{
    /// <summary>The <c>Admin:ApiKey</c> of an edge started with <see cref="TestEdgeOptions.Admin"/>.</summary>
    public const string AdminApiKey = "test-admin-key-0123456789";

    private readonly WebApplication _app;
    private bool _stopped;

    private TestEdge(WebApplication app, string? name, int httpPort, int grpcPort, int adminPort)
    {
        _app = app;
        Name = name;
        HttpPort = httpPort;
        GrpcPort = grpcPort;
        HttpBase = new Uri($"http://127.0.0.1:{httpPort}");
        GrpcBase = new Uri($"http://127.0.0.1:{grpcPort}");
        Http = new HttpClient { BaseAddress = HttpBase, Timeout = TimeSpan.FromSeconds(30) };
        Channel = GrpcChannel.ForAddress(GrpcBase);
        Client = new UpdateService.UpdateServiceClient(Channel);
        if (adminPort > 0)
        {
            AdminPort = adminPort;
            AdminBase = new Uri($"http://127.0.0.1:{adminPort}");
            Admin = new HttpClient { BaseAddress = AdminBase, Timeout = TimeSpan.FromSeconds(30) };
            Admin.DefaultRequestHeaders.Add("x-api-key", AdminApiKey);
        }
    }

    /// <summary>The configured <c>Sync:EdgeName</c>; null when the edge names itself.</summary>
    public string? Name { get; }

    public int HttpPort { get; }

    public int GrpcPort { get; }

    public Uri HttpBase { get; }

    public Uri GrpcBase { get; }

    public HttpClient Http { get; }

    /// <summary>The admin endpoint's port; 0 unless started with <see cref="TestEdgeOptions.Admin"/>.</summary>
    public int AdminPort { get; }

    public Uri? AdminBase { get; }

    /// <summary>A client of the admin endpoint that sends <see cref="AdminApiKey"/>; null without one.</summary>
    public HttpClient? Admin { get; }

    public GrpcChannel Channel { get; }

    public UpdateService.UpdateServiceClient Client { get; }

    public IServiceProvider Services => _app.Services;

    public ProjectionStore Store => Services.GetRequiredService<ProjectionStore>();

    internal EventQueue Events => Services.GetRequiredService<EventQueue>();

    /// <summary>A standalone edge on <paramref name="projectionDirectory"/>, not waiting for a projection.</summary>
    public static Task<TestEdge> StartAsync(string projectionDirectory, params string[] args) =>
        StartAsync(TestEdgeOptions.Standalone(projectionDirectory, args));

    public static async Task<TestEdge> StartAsync(TestEdgeOptions options)
    {
        var edge = await ListenAsync(options);
        if (!options.WaitReady && options.WaitForApps.Count == 0)
        {
            return edge;
        }

        var store = edge.Store;
        var what = options.WaitForApps.Count == 0 ? "a projection" : string.Join(", ", options.WaitForApps);
        try
        {
            await Eventually.TrueAsync(
                () => store.IsLoaded && options.WaitForApps.All(id => store.Find(id) is not null),
                $"edge {options.Name ?? "(self-named)"} to load {what}");
        }
        catch
        {
            await edge.DisposeAsync();
            throw;
        }

        return edge;
    }

    /// <summary>
    /// The edge's host on free loopback ports with logging off, not started: for the tests that expect
    /// start-up to fail.
    /// </summary>
    public static WebApplication Build(params string[] args) =>
        BuildOnPorts(RedisServer.FreePort(), RedisServer.FreePort(), "None", args, static a => EdgeHost.Build(a));

    public long GenerationOf(string appId) => Store.Find(appId)?.Generation ?? 0;

    /// <summary>Stops the host (the path SIGTERM takes) once; its services stay readable until dispose.</summary>
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
        Admin?.Dispose();
        Channel.Dispose();
        await StopAsync();
        await _app.DisposeAsync();
    }

    private static async Task<TestEdge> ListenAsync(TestEdgeOptions options)
    {
        // ASP.NET Core logs errors only: many tests send requests the edge refuses on purpose.
        string[] args = ["--Logging:LogLevel:Microsoft.AspNetCore=Error", .. options.ModeArgs(), .. options.Args];

        // A free port can be taken between the probe and the bind: retry a few times.
        for (var attempt = 1; ; attempt++)
        {
            var httpPort = RedisServer.FreePort();
            var grpcPort = RedisServer.FreePort();
            var adminPort = options.Admin ? RedisServer.FreePort() : 0;
            string[] adminArgs = options.Admin
                ? [$"--Kestrel:Endpoints:Admin:Url=http://127.0.0.1:{adminPort}", $"--Admin:ApiKey={AdminApiKey}"]
                : [];
            var app = BuildOnPorts(httpPort, grpcPort, "Warning", [.. adminArgs, .. args], options.Build);
            try
            {
                await app.StartAsync();
                return new TestEdge(app, options.Name, httpPort, grpcPort, adminPort);
            }
            catch (IOException) when (attempt < 5)
            {
                await app.DisposeAsync();
            }
        }
    }

    private static WebApplication BuildOnPorts(int httpPort, int grpcPort, string logLevel, string[] args, Func<string[], WebApplication> build) =>
        build(
        [
            $"--Kestrel:Endpoints:Http:Url=http://127.0.0.1:{httpPort}",
            $"--Kestrel:Endpoints:Grpc:Url=http://127.0.0.1:{grpcPort}",
            $"--Logging:LogLevel:Default={logLevel}",
            .. args,
        ]);
}

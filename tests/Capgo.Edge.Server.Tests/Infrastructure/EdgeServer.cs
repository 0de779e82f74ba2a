using System.Net;
using System.Net.Sockets;
using Capgo.Edge.Contracts.V1;
using Capgo.Edge.Server.Hosting;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;

namespace Capgo.Edge.Server.Tests.Infrastructure;

/// <summary>
/// A real edge: <see cref="EdgeHost.Build"/> on two free loopback ports (JSON and gRPC) over real
/// Kestrel, answering from its own projection folder.
/// </summary>
internal sealed class EdgeServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private EdgeServer(WebApplication app, string projectionDirectory, int httpPort, int grpcPort)
    {
        _app = app;
        ProjectionDirectory = projectionDirectory;
        HttpBase = new Uri($"http://127.0.0.1:{httpPort}");
        GrpcBase = new Uri($"http://127.0.0.1:{grpcPort}");
        Http = new HttpClient { BaseAddress = HttpBase, Timeout = TimeSpan.FromSeconds(30) };
        Channel = GrpcChannel.ForAddress(GrpcBase);
        Client = new UpdateService.UpdateServiceClient(Channel);
    }

    public string ProjectionDirectory { get; }

    public Uri HttpBase { get; }

    public Uri GrpcBase { get; }

    public HttpClient Http { get; }

    public GrpcChannel Channel { get; }

    public UpdateService.UpdateServiceClient Client { get; }

    public static Task<EdgeServer> StartAsync(string projectionDirectory, params string[] extraArgs) =>
        StartAsync(static args => EdgeHost.Build(args), projectionDirectory, extraArgs);

    /// <summary>Starts a host built by <paramref name="build"/> (the edge's own, or a test's variant) from the same arguments.</summary>
    public static async Task<EdgeServer> StartAsync(Func<string[], WebApplication> build, string projectionDirectory, params string[] extraArgs)
    {
        // Ports can be taken between the probe and the bind: retry a few times.
        for (var attempt = 1; ; attempt++)
        {
            var httpPort = FreePort();
            var grpcPort = FreePort();
            string[] args =
            [
                $"--Kestrel:Endpoints:Http:Url=http://127.0.0.1:{httpPort}",
                $"--Kestrel:Endpoints:Grpc:Url=http://127.0.0.1:{grpcPort}",
                $"--Projection:Directory={projectionDirectory}",
                "--Logging:LogLevel:Default=Warning",
                "--Logging:LogLevel:Microsoft.AspNetCore=Error",
                .. extraArgs,
            ];
            var app = build(args);
            try
            {
                await app.StartAsync();
                return new EdgeServer(app, projectionDirectory, httpPort, grpcPort);
            }
            catch (IOException) when (attempt < 5)
            {
                await app.DisposeAsync();
            }
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        Channel.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

/// <summary>A temporary folder, deleted on dispose.</summary>
internal sealed class TempDirectory : IDisposable
{
    public TempDirectory()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "capgo-edge-tests-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    /// <summary>Writes a file atomically (write beside, then rename), so a watcher never sees half of it.</summary>
    public void WriteAtomically(string fileName, string content)
    {
        var target = System.IO.Path.Combine(Path, fileName);
        var temp = System.IO.Path.Combine(Path, "." + fileName + "." + Guid.NewGuid().ToString("N") + ".tmp");
        File.WriteAllText(temp, content);
        File.Move(temp, target, overwrite: true);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // Best effort.
        }
    }
}

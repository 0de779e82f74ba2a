using System.Text;
using BenchmarkDotNet.Attributes;
using Capgo.Edge.Contracts.V1;
using Capgo.Edge.Server.Hosting;
using Google.Protobuf;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Capgo.Edge.Benchmarks;

/// <summary>
/// The whole ASP.NET Core pipeline of the edge in process, without sockets (<see cref="InMemoryServer"/>):
/// routing, gRPC framing, the JSON check endpoint and JSON transcoding (the echo), the handlers and
/// the reply writers. The host is composed exactly as <c>EdgeHost.Build</c> does, with the in-memory
/// server in place of Kestrel. Echo on each transport is the baseline for that transport's check.
/// </summary>
[MemoryDiagnoser]
public class PipelineBenchmarks
{
    private WebApplication _app = null!;
    private InMemoryServer _server = null!;
    private string _directory = null!;
    private byte[] _grpcCheck = null!;
    private byte[] _grpcEcho = null!;
    private byte[] _jsonCheck = null!;
    private byte[] _jsonEcho = null!;

    [GlobalSetup]
    public void Setup()
    {
        var data = BenchData.Instance;
        _directory = Directory.CreateTempSubdirectory("capgo-edge-bench-").FullName;
        File.WriteAllBytes(Path.Combine(_directory, "com.demo.app.json"), BenchData.BuildDocument());

        (_app, _server) = Start(_directory);

        _grpcCheck = Frame(data.AndroidRequestBytes);
        var echo = new EchoRequest { Payload = new string('x', data.AndroidRequestBytes.Length - 3) };
        _grpcEcho = Frame(echo.ToByteArray());
        _jsonCheck = data.AndroidVectorUtf8;
        _jsonEcho = Encoding.UTF8.GetBytes($"{{\"payload\":\"{new string('x', _jsonCheck.Length - 14)}\"}}");

        // Each path answers as the contract says before anything is measured.
        var grpc = Send(_grpcCheck, "/capgo.edge.v1.UpdateService/CheckForUpdate", "application/grpc", http2: true);
        Expect(grpc.StatusCode == 200 && grpc.Trailers["grpc-status"] == "0", $"gRPC check: {grpc.StatusCode} headers [{string.Join(", ", grpc.Headers.Select(h => h.Key + "=" + h.Value))}] trailers [{string.Join(", ", grpc.Trailers.Select(h => h.Key + "=" + h.Value))}] body {grpc.Body.Length} B");
        Expect(UpdateReply.Parser.ParseFrom(grpc.Body.AsSpan(5).ToArray()).Version == "1.6.0-beta.1", "gRPC check reply");
        var grpcEcho = Send(_grpcEcho, "/capgo.edge.v1.UpdateService/Echo", "application/grpc", http2: true);
        Expect(UpdateReply.Parser.ParseFrom(grpc.Body.AsSpan(5).ToArray()).Generation > 0, "gRPC check: generation field");
        Expect(grpcEcho.StatusCode == 200 && grpcEcho.Trailers["grpc-status"] == "0", "gRPC echo");
        var json = Send(_jsonCheck, "/updates", "application/json", http2: false);
        Expect(json.StatusCode == 200 && Encoding.UTF8.GetString(json.Body).Contains("\"version\":\"1.6.0-beta.1\"", StringComparison.Ordinal),
            "JSON check: " + json.StatusCode + " " + Encoding.UTF8.GetString(json.Body));
        var jsonEcho = Send(_jsonEcho, "/echo", "application/json", http2: false);
        Expect(jsonEcho.StatusCode == 200 && jsonEcho.Body.Length > _jsonCheck.Length - 14, "JSON echo: " + jsonEcho.StatusCode);
        var rawEcho = Send(_jsonEcho, "/echo/raw", "application/json", http2: false);
        Expect(rawEcho.StatusCode == 200 && rawEcho.Body.AsSpan().SequenceEqual(_jsonEcho), "raw JSON echo: " + rawEcho.StatusCode);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _app.StopAsync().GetAwaiter().GetResult();
        ((IDisposable)_app).Dispose();

        Directory.Delete(_directory, recursive: true);
    }

    [Benchmark(Baseline = true)]
    public Task<InMemoryResponse> Grpc_Echo() =>
        _server.SendAsync("/capgo.edge.v1.UpdateService/Echo", "application/grpc", _grpcEcho, http2: true);

    [Benchmark]
    public Task<InMemoryResponse> Grpc_CheckForUpdate_Offer() =>
        _server.SendAsync("/capgo.edge.v1.UpdateService/CheckForUpdate", "application/grpc", _grpcCheck, http2: true);

    [Benchmark]
    public Task<InMemoryResponse> Json_Echo() =>
        _server.SendAsync("/echo", "application/json", _jsonEcho, http2: false);

    /// <summary><c>POST /echo/raw</c>: the JSON body written back by a plain endpoint, HTTP's own ceiling.</summary>
    [Benchmark]
    public Task<InMemoryResponse> Json_EchoRaw() =>
        _server.SendAsync("/echo/raw", "application/json", _jsonEcho, http2: false);

    [Benchmark]
    public Task<InMemoryResponse> Json_Updates_Offer() =>
        _server.SendAsync("/updates", "application/json", _jsonCheck, http2: false);

    private static (WebApplication App, InMemoryServer Server) Start(string directory, params string[] extra)
    {
        var app = EdgeHost.Build(
            [$"--Projection:Directory={directory}", "--Projection:PollInterval=01:00:00", .. extra],
            static builder =>
            {
                builder.Logging.ClearProviders();
                builder.Services.AddSingleton<IServer, InMemoryServer>();
            });
        app.StartAsync().GetAwaiter().GetResult();

        var store = app.Services.GetRequiredService<Core.ProjectionStore>();
        for (var i = 0; i < 200 && !store.IsLoaded; i++)
        {
            Thread.Sleep(50);
        }

        return (app, (InMemoryServer)app.Services.GetRequiredService<IServer>());
    }

    private InMemoryResponse Send(byte[] body, string path, string contentType, bool http2) =>
        _server.SendAsync(path, contentType, body, http2).GetAwaiter().GetResult();

    private static byte[] Frame(byte[] message)
    {
        var framed = new byte[message.Length + 5];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(framed.AsSpan(1), message.Length);
        message.CopyTo(framed, 5);
        return framed;
    }

    private static void Expect(bool condition, string what)
    {
        if (!condition)
        {
            throw new InvalidOperationException("unexpected pipeline reply: " + what);
        }
    }
}

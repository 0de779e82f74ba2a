using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using StackExchange.Redis;

namespace Capgo.Edge.Tests.Support;

/// <summary>
/// A real redis-server on a free port, without persistence (a restart comes back empty). It fails
/// loudly when redis-server is missing: these tests never pass without a real Redis.
/// </summary>
public sealed class RedisServer : IAsyncDisposable
{
    /// <summary>
    /// Every server still running, killed when the test process exits: a fixture whose setup fails after
    /// starting Redis is never disposed, and its redis-server would outlive the run.
    /// </summary>
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<Process, byte> Running = new();

    private Process? _process;

    static RedisServer() => AppDomain.CurrentDomain.ProcessExit += static (_, _) => KillAllRunning();
    private string? _pingAuth;

    private readonly string _extraArgs;

    private RedisServer(int port, string extraArgs)
    {
        Port = port;
        _extraArgs = extraArgs;
    }

    public int Port { get; }

    public string ConnectionString => $"127.0.0.1:{Port},abortConnect=false,connectTimeout=2000,syncTimeout=2000,asyncTimeout=2000";

    public static async Task<RedisServer> StartAsync(int? port = null, string extraArgs = "", string? pingAuth = null)
    {
        var server = new RedisServer(port ?? FreePort(), extraArgs) { _pingAuth = pingAuth };
        await server.StartProcessAsync();
        return server;
    }

    public async Task StartProcessAsync()
    {
        var info = new ProcessStartInfo("redis-server", $"--port {Port} --bind 127.0.0.1 --save \"\" --appendonly no --protected-mode no {_extraArgs}")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        try
        {
            _process = Process.Start(info) ?? throw new InvalidOperationException("redis-server did not start");
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new InvalidOperationException("redis-server is not installed (apt-get install -y redis-server); these tests need a real Redis", ex);
        }

        Running.TryAdd(_process, 0);
        _process.OutputDataReceived += static (_, _) => { };
        _process.ErrorDataReceived += static (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            try
            {
                using var mux = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{Port},connectTimeout=500{_pingAuth}");
                await mux.GetDatabase().PingAsync();
                return;
            }
            catch (RedisConnectionException) when (DateTime.UtcNow < deadline && !_process.HasExited)
            {
                await Task.Delay(50);
            }
        }
    }

    /// <summary>Kills the server hard (SIGKILL): no goodbye to clients.</summary>
    public async Task KillAsync()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }

        if (_process is not null)
        {
            Running.TryRemove(_process, out _);
        }

        _process?.Dispose();
        _process = null;
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync() => await KillAsync();

    private static void KillAllRunning()
    {
        foreach (var process in Running.Keys)
        {
            try
            {
                process.Kill();
            }
            catch (InvalidOperationException)
            {
                // Already gone.
            }
        }
    }
}

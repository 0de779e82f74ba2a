using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Capgo.Edge.EventLoad;

/// <summary>A child process the benchmark starts (redis-server, the control-plane service), killed with its tree on dispose.</summary>
internal class ChildProcess : IAsyncDisposable
{
    private readonly StringBuilder _output = new();

    protected ChildProcess(string file, IEnumerable<string> args)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        Process = Process.Start(info) ?? throw new InvalidOperationException($"{file} did not start");
        Process.OutputDataReceived += (_, e) => Keep(e.Data);
        Process.ErrorDataReceived += (_, e) => Keep(e.Data);
        Process.BeginOutputReadLine();
        Process.BeginErrorReadLine();
    }

    protected Process Process { get; }

    public bool HasExited => Process.HasExited;

    /// <summary>User + system CPU the process has used so far.</summary>
    public TimeSpan CpuTime
    {
        get
        {
            Process.Refresh();
            return Process.TotalProcessorTime;
        }
    }

    /// <summary>The last lines the process wrote (stdout and stderr), for an error message.</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        Release();
        if (!Process.HasExited)
        {
            Process.Kill(entireProcessTree: true);
        }

        await Process.WaitForExitAsync().ConfigureAwait(false);
        Process.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>Frees what a subclass holds besides the process.</summary>
    protected virtual void Release()
    {
    }

    private void Keep(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            // The last 8 KB is enough to say why it stopped.
            if (_output.Length > 8192)
            {
                _output.Remove(0, _output.Length - 4096);
            }

            _output.AppendLine(line);
        }
    }
}

/// <summary>A redis-server on a free loopback port, without persistence.</summary>
internal sealed class RedisProcess : ChildProcess
{
    private RedisProcess(int port)
        : base("redis-server", ["--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]) =>
        Endpoint = $"127.0.0.1:{port}";

    /// <summary>host:port.</summary>
    public string Endpoint { get; }

    public static RedisProcess Start() => new(FreePort());
}

/// <summary>
/// The control-plane service as production runs it (<c>dotnet Capgo.Edge.ControlPlane.Service.dll</c>),
/// on a free loopback port, on the given Redis and prefix.
/// </summary>
internal sealed class ServiceProcess : ChildProcess
{
    private ServiceProcess(string dll, int port, IEnumerable<string> args)
        : base("dotnet", [dll, .. args, $"--Kestrel:Endpoints:Http:Url=http://127.0.0.1:{port}"]) =>
        Http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(10) };

    public HttpClient Http { get; }

    public static ServiceProcess Start(string dll, string redis, string prefix, int? batchSize, IEnumerable<string> extra)
    {
        if (!File.Exists(dll))
        {
            throw new FileNotFoundException($"the service is not built: {dll}", dll);
        }

        string[] args =
        [
            $"--ConnectionStrings:Redis={redis}",
            $"--Sync:Prefix={prefix}",
            "--Logging:LogLevel:Default=Warning",
            .. batchSize is { } size ? [$"--Analytics:BatchSize={size}"] : Array.Empty<string>(),
            .. extra,
        ];
        return new ServiceProcess(dll, FreePort(), args);
    }

    /// <summary><c>capgo_controlplane_consumer_lag</c> as the service's <c>/metrics</c> shows it; null when absent or unreachable.</summary>
    public async Task<long?> LagMetricAsync()
    {
        try
        {
            var text = await Http.GetStringAsync(new Uri("/metrics", UriKind.Relative)).ConfigureAwait(false);
            foreach (var line in text.Split('\n'))
            {
                // name{labels} value [timestamp]
                if (line.StartsWith("capgo_controlplane_consumer_lag", StringComparison.Ordinal))
                {
                    var labels = line.LastIndexOf('}');
                    var value = line[((labels >= 0 ? labels : line.IndexOf(' ', StringComparison.Ordinal)) + 1)..].Trim().Split(' ')[0];
                    if (long.TryParse(value, System.Globalization.CultureInfo.InvariantCulture, out var lag))
                    {
                        return lag;
                    }
                }
            }
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            // Not listening yet.
        }

        return null;
    }

    protected override void Release() => Http.Dispose();
}

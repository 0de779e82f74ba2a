using System.Diagnostics;

namespace Capgo.Edge.Tests.Support;

/// <summary>
/// A real Redis Cluster of 3 masters and 3 replicas on free loopback ports, built as an operator would:
/// six <c>redis-server --cluster-enabled yes</c> and <c>redis-cli --cluster create … --cluster-replicas 1</c>,
/// without persistence, with a 1 s node timeout so a killed master's replica takes over within seconds.
/// It fails loudly when it cannot be built: these tests never pass without a real cluster.
/// </summary>
public sealed class RedisCluster : IAsyncDisposable
{
    private const int Nodes = 6;

    /// <summary>Set, the nodes' folder (their logs, <c>&lt;port&gt;.log</c>, and cluster configurations) outlives the test.</summary>
    public const string KeepVariable = "CAPGO_KEEP_CLUSTER";

    /// <summary>Every node still running, killed when the test process exits (as <see cref="RedisServer"/> does).</summary>
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<Process, byte> Running = new();

    private readonly Dictionary<int, Process> _processes = [];

    static RedisCluster() => AppDomain.CurrentDomain.ProcessExit += static (_, _) =>
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
    };
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "capgo-edge-cluster", Guid.NewGuid().ToString("N"));

    private readonly int[] _busPorts;

    private RedisCluster(int[] ports, int[] busPorts) => (Ports, _busPorts) = (ports, busPorts);

    /// <summary>The nodes' ports, masters first as created (replicas may be promoted later).</summary>
    public IReadOnlyList<int> Ports { get; }

    /// <summary>Every node: StackExchange.Redis finds the topology and follows MOVED and failovers by itself.</summary>
    public string ConnectionString => string.Join(',', Ports.Select(static p => $"127.0.0.1:{p}")) + ",abortConnect=false,connectTimeout=2000,syncTimeout=2000,asyncTimeout=2000";

    public static async Task<RedisCluster> StartAsync()
    {
        var ports = DistinctFreePorts(2 * Nodes);
        var cluster = new RedisCluster(ports[..Nodes], ports[Nodes..]);
        try
        {
            await cluster.BuildAsync();
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    private async Task BuildAsync()
    {
        Directory.CreateDirectory(_dir);
        foreach (var (port, bus) in Ports.Zip(_busPorts))
        {
            // The bus port is chosen too: port + 10 000 may be taken, or past 65 535.
            _processes[port] = Start("redis-server",
                $"--port {port} --cluster-port {bus} --bind 127.0.0.1 --protected-mode no --cluster-enabled yes " +
                $"--cluster-config-file nodes-{port}.conf --cluster-node-timeout 1000 --repl-diskless-sync-delay 0 --save \"\" --appendonly no --dir {_dir} --logfile {port}.log");
        }

        foreach (var port in Ports)
        {
            await Eventually.TrueAsync(async () => (await RunCliAsync($"-p {port} ping")).Output.Trim() == "PONG", $"redis-server on {port} answers", TimeSpan.FromSeconds(10));
        }

        var create = await RunCliAsync($"--cluster create {string.Join(' ', Ports.Select(static p => $"127.0.0.1:{p}"))} --cluster-replicas 1 --cluster-yes");
        if (create.ExitCode != 0)
        {
            throw new InvalidOperationException($"redis-cli --cluster create failed ({create.ExitCode}): {create.Output}");
        }

        foreach (var port in Ports)
        {
            await Eventually.TrueAsync(async () => (await RunCliAsync($"-p {port} cluster info")).Output.Contains("cluster_state:ok", StringComparison.Ordinal), $"node {port} reports cluster_state:ok", TimeSpan.FromSeconds(30));
        }

        // A replica that has not finished its first sync cannot take over: a master killed before then stays down.
        foreach (var port in Ports)
        {
            await Eventually.TrueAsync(
                async () => (await RunCliAsync($"-p {port} info replication")).Output is var info && (info.Contains("role:master", StringComparison.Ordinal) || info.Contains("master_link_status:up", StringComparison.Ordinal)),
                $"node {port}, if a replica, to finish its first sync", TimeSpan.FromSeconds(30));
        }
    }

    /// <summary>
    /// The port of the master that holds <paramref name="slot"/> now, from <c>CLUSTER NODES</c> of the live
    /// nodes; null while none does (a failover in progress).
    /// </summary>
    public async Task<int?> MasterOfAsync(int slot)
    {
        foreach (var port in _processes.Keys)
        {
            var (code, output) = await RunCliAsync($"-p {port} cluster nodes");
            if (code != 0)
            {
                continue;
            }

            foreach (var line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                var parts = line.Split(' ');
                if (parts.Length > 8 && parts[2].Contains("master", StringComparison.Ordinal) && !parts[2].Contains("fail", StringComparison.Ordinal)
                    && parts.Skip(8).Any(range => Covers(range, slot)))
                {
                    return int.Parse(parts[1].Split('@')[0].Split(':')[1], System.Globalization.CultureInfo.InvariantCulture);
                }
            }
        }

        return null;
    }

    /// <summary><c>CLUSTER NODES</c> as each live node sees it: what a failing test shows.</summary>
    public async Task<string> DescribeAsync()
    {
        var text = new System.Text.StringBuilder();
        foreach (var port in _processes.Keys)
        {
            text.Append("node ").Append(port).AppendLine(":").AppendLine((await RunCliAsync($"-p {port} cluster nodes")).Output);
        }

        return text.ToString();
    }

    /// <summary>Kills one node hard (SIGKILL): its replica takes over after the node timeout.</summary>
    public async Task KillAsync(int port)
    {
        var process = _processes[port];
        process.Kill();
        await process.WaitForExitAsync();
        Running.TryRemove(process, out _);
        process.Dispose();
        _processes.Remove(port);
    }

    /// <summary>True once every slot is served again (<c>cluster_state:ok</c> on a live node).</summary>
    public async Task<bool> IsOkAsync() =>
        (await RunCliAsync($"-p {_processes.Keys.First()} cluster info")).Output.Contains("cluster_state:ok", StringComparison.Ordinal);

    public async ValueTask DisposeAsync()
    {
        foreach (var process in _processes.Values)
        {
            try
            {
                process.Kill();
                await process.WaitForExitAsync();
            }
            catch (InvalidOperationException)
            {
                // Already gone.
            }

            Running.TryRemove(process, out _);
            process.Dispose();
        }

        _processes.Clear();
        try
        {
            if (Environment.GetEnvironmentVariable(KeepVariable) is null)
            {
                Directory.Delete(_dir, recursive: true);
            }
        }
        catch (IOException)
        {
            // A node still writing its config: the temporary folder keeps it.
        }
    }

    /// <summary>Free loopback ports, all different: every listener is held open until all are picked.</summary>
    private static int[] DistinctFreePorts(int count)
    {
        var listeners = Enumerable.Range(0, count).Select(static _ => new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0)).ToList();
        try
        {
            listeners.ForEach(static l => l.Start());
            return [.. listeners.Select(static l => ((System.Net.IPEndPoint)l.LocalEndpoint).Port)];
        }
        finally
        {
            listeners.ForEach(static l => l.Stop());
        }
    }

    private static bool Covers(string range, int slot)
    {
        if (range.StartsWith('['))
        {
            return false; // a slot being migrated
        }

        var bounds = range.Split('-');
        var first = int.Parse(bounds[0], System.Globalization.CultureInfo.InvariantCulture);
        var last = bounds.Length > 1 ? int.Parse(bounds[1], System.Globalization.CultureInfo.InvariantCulture) : first;
        return slot >= first && slot <= last;
    }

    private static Process Start(string file, string arguments)
    {
        var info = new ProcessStartInfo(file, arguments) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        try
        {
            var process = Process.Start(info) ?? throw new InvalidOperationException($"{file} did not start");
            process.OutputDataReceived += static (_, _) => { };
            process.ErrorDataReceived += static (_, _) => { };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            Running.TryAdd(process, 0);
            return process;
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new InvalidOperationException($"{file} is not installed (apt-get install -y redis-server); these tests need a real Redis Cluster", ex);
        }
    }

    private static async Task<(int ExitCode, string Output)> RunCliAsync(string arguments)
    {
        var info = new ProcessStartInfo("redis-cli", arguments) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        using var process = Process.Start(info) ?? throw new InvalidOperationException("redis-cli did not start");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await output + await error);
    }
}

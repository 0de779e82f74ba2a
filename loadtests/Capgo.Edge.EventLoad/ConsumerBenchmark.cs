using System.Diagnostics;
using System.Globalization;
using Capgo.Edge.ControlPlane.Analytics;
using Capgo.Edge.Redis;
using StackExchange.Redis;

namespace Capgo.Edge.EventLoad;

/// <summary>What to run: how many entries, on which Redis, against which service build.</summary>
public sealed record BenchOptions
{
    /// <summary>Entries of <c>--short</c>, what a test runs.</summary>
    public const int ShortEvents = 50_000;

    /// <summary>Entries written to the stream.</summary>
    public int Events { get; init; } = 1_000_000;

    /// <summary>Distinct devices they come from; by default one per ten entries.</summary>
    public int? Devices { get; init; }

    public int Seed { get; init; } = 42;

    /// <summary>A running Redis: host:port, or a cluster's nodes (a StackExchange.Redis connection string); null starts one on a free port.</summary>
    public string? Redis { get; init; }

    public string Prefix { get; init; } = RedisLayout.DefaultPrefix;

    /// <summary><c>Events:Shards</c>: the entries are spread over this many streams, by device, as edges spread them.</summary>
    public int Shards { get; init; } = 1;

    /// <summary>The built Capgo.Edge.ControlPlane.Service.dll.</summary>
    public required string Service { get; init; }

    /// <summary><c>Analytics:BatchSize</c> for the service; null keeps its default.</summary>
    public int? BatchSize { get; init; }

    /// <summary>More <c>--Key=Value</c> switches for the service.</summary>
    public IReadOnlyList<string> ServiceArgs { get; init; } = [];

    /// <summary>How long the consumer may take before the run fails.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(10);
}

/// <summary>What a run measured, and whether the consumer's totals matched what was written.</summary>
public sealed record BenchResult(
    int Events,
    int Shards,
    int Devices,
    int BatchSize,
    double FillSeconds,
    double ConsumeSeconds,
    double EventsPerSecond,
    double WallSeconds,
    double ServiceCpuMicrosPerEvent,
    double RedisCpuMicrosPerEvent,
    long UsedMemoryBefore,
    long UsedMemoryAfter,
    long? LagMetricWhileRunning,
    long? LagMetricAfter,
    IReadOnlyList<TotalCheck> Checks)
{
    public bool Verified => Checks.All(static c => c.Ok);
}

/// <summary>
/// Fills the stream, or each device's shard stream (pipelined XADD), then starts one control-plane
/// service and times it from the group's first read until every entry is read and acknowledged
/// (XINFO GROUPS of every shard: lag 0, pending 0, polled every 20 ms); then checks the totals
/// (<see cref="TotalsCheck"/>). Redis CPU and memory are summed over every master of a cluster.
/// </summary>
public static class ConsumerBenchmark
{
    private const int InFlight = 20_000;
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(20);

    public static async Task<BenchResult> RunAsync(BenchOptions options, TextWriter log, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(log);
        await using var ownRedis = options.Redis is null ? RedisProcess.Start() : null;
        var endpoint = options.Redis ?? ownRedis!.Endpoint;
        await using var mux = await ConnectAsync(endpoint, ownRedis).ConfigureAwait(false);
        var db = mux.GetDatabase();
        var layout = new RedisLayout(options.Prefix, options.Shards);
        foreach (var shard in layout.EventShards)
        {
            if (await db.StreamLengthAsync(shard.Events).ConfigureAwait(false) > 0 || await db.KeyExistsAsync(shard.AnalyticsCounts).ConfigureAwait(false))
            {
                throw new InvalidOperationException($"{shard.Events} already holds entries or counts on {endpoint}: use a fresh --prefix or Redis");
            }
        }

        var devices = options.Devices ?? Math.Max(options.Events / 10, 1);
        var batchSize = options.BatchSize ?? new AnalyticsOptions().BatchSize;
        var mix = new EventMix(devices, options.Events, options.Seed, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        log.WriteLine($"[event-load] filling {string.Join(", ", layout.EventShards.Select(static s => s.Events))} on {endpoint}: {options.Events:N0} entries from {devices:N0} devices");
        var fill = Stopwatch.StartNew();
        await FillAsync(db, layout, mix, options.Events).ConfigureAwait(false);
        fill.Stop();
        log.WriteLine($"[event-load]   {fill.Elapsed.TotalSeconds:F1} s ({options.Events / fill.Elapsed.TotalSeconds:N0} entries/s)");

        var server = mux.GetServers().Where(static s => s.IsConnected && !s.IsReplica).ToArray();
        var memoryBefore = await UsedMemoryAsync(server).ConfigureAwait(false);
        log.WriteLine($"[event-load] starting the control-plane service (batch size {batchSize}): dotnet {options.Service}");
        var wall = Stopwatch.StartNew();
        await using var service = ServiceProcess.Start(options.Service, endpoint, options.Prefix, options.BatchSize, [$"--Events:Shards={options.Shards}", .. options.ServiceArgs]);
        var (consume, counted, serviceCpu, redisCpu, lagWhileRunning) = await AwaitConsumedAsync(db, server, layout, service, options, log, cancel).ConfigureAwait(false);
        wall.Stop();
        var lagAfter = await service.LagMetricAsync().ConfigureAwait(false);
        var memoryAfter = await UsedMemoryAsync(server).ConfigureAwait(false);

        var rate = counted / consume.TotalSeconds;
        log.WriteLine($"[event-load] counted {counted:N0} entries in {consume.TotalSeconds:F2} s: {rate:N0} events/s " +
                      $"(service {serviceCpu.TotalMicroseconds / counted:F1} µs CPU/event, Redis {redisCpu * 1e6 / counted:F1} µs/event; " +
                      $"{wall.Elapsed.TotalSeconds:F1} s from the service's start)");
        log.WriteLine("[event-load] checking the totals");
        var checks = await new TotalsCheck(mux, layout, mix).RunAsync().ConfigureAwait(false);
        return new BenchResult(
            options.Events, options.Shards, devices, batchSize, fill.Elapsed.TotalSeconds, consume.TotalSeconds, rate, wall.Elapsed.TotalSeconds,
            serviceCpu.TotalMicroseconds / counted, redisCpu * 1e6 / counted, memoryBefore, memoryAfter, lagWhileRunning, lagAfter, checks);
    }

    private static async Task<ConnectionMultiplexer> ConnectAsync(string endpoint, RedisProcess? own)
    {
        var config = ConfigurationOptions.Parse(endpoint);
        config.AbortOnConnectFail = false;
        config.SyncTimeout = config.AsyncTimeout = 30_000;
        config.AllowAdmin = true; // INFO: used_memory and Redis CPU
        var mux = await ConnectionMultiplexer.ConnectAsync(config).ConfigureAwait(false);
        for (var i = 0; i < 100 && !mux.IsConnected; i++)
        {
            if (own is { HasExited: true })
            {
                throw new InvalidOperationException($"redis-server stopped: {own.Output}");
            }

            await Task.Delay(50).ConfigureAwait(false);
        }

        return mux;
    }

    /// <summary>XADD in pipelined runs of <see cref="InFlight"/>, as edges write (no MAXLEN: nothing may be trimmed here).</summary>
    private static async Task FillAsync(IDatabase db, RedisLayout layout, EventMix mix, int events)
    {
        var pending = new List<Task>(InFlight);
        for (var i = 0; i < events; i++)
        {
            var entry = mix.Next();
            pending.Add(db.StreamAddAsync(layout.ShardOf(entry.First(static f => f.Name == "device_id").Value.ToString()).Events, entry));
            if (pending.Count == InFlight)
            {
                await Task.WhenAll(pending).ConfigureAwait(false);
                pending.Clear();
            }
        }

        await Task.WhenAll(pending).ConfigureAwait(false);
    }

    /// <summary>
    /// Polls the group until everything is read and acknowledged. The clock starts at the first poll that
    /// sees entries read (so the process's start-up is not charged), and the rate counts only what was
    /// acknowledged after that poll.
    /// </summary>
    private static async Task<(TimeSpan Consume, long Counted, TimeSpan ServiceCpu, double RedisCpu, long? LagWhileRunning)> AwaitConsumedAsync(
        IDatabase db, IServer[] server, RedisLayout layout, ServiceProcess service, BenchOptions options, TextWriter log, CancellationToken cancel)
    {
        var deadline = Stopwatch.StartNew();
        Stopwatch? clock = null;
        long ackedAtStart = 0;
        var cpuAtStart = TimeSpan.Zero;
        double redisCpuAtStart = 0;
        long? lagWhileRunning = null;
        var nextReport = TimeSpan.FromSeconds(5);
        while (true)
        {
            cancel.ThrowIfCancellationRequested();
            if (service.HasExited)
            {
                throw new InvalidOperationException($"the service stopped: {service.Output}");
            }

            if (deadline.Elapsed > options.Timeout)
            {
                throw new TimeoutException($"the consumer did not finish within {options.Timeout}: {service.Output}");
            }

            var group = await GroupAsync(db, layout).ConfigureAwait(false);
            if (group is { EntriesRead: > 0 } g)
            {
                var acked = g.EntriesRead.Value - g.PendingMessageCount;
                if (clock is null)
                {
                    clock = Stopwatch.StartNew();
                    (ackedAtStart, cpuAtStart, redisCpuAtStart) = (acked, service.CpuTime, await RedisCpuAsync(server).ConfigureAwait(false));
                }
                else if (g.Lag == 0 && g.PendingMessageCount == 0 && g.EntriesRead >= options.Events)
                {
                    var elapsed = clock.Elapsed;
                    return (elapsed, acked - ackedAtStart, service.CpuTime - cpuAtStart, await RedisCpuAsync(server).ConfigureAwait(false) - redisCpuAtStart, lagWhileRunning);
                }

                // The service's own gauge, once its HTTP endpoint is up (it starts after the consumer).
                if (lagWhileRunning is null && g.Lag > 0)
                {
                    lagWhileRunning = await service.LagMetricAsync().ConfigureAwait(false);
                }

                if (clock.Elapsed >= nextReport)
                {
                    log.WriteLine($"[event-load]   {clock.Elapsed.TotalSeconds:F0} s: {acked:N0} acknowledged, lag {g.Lag}, pending {g.PendingMessageCount}");
                    nextReport += TimeSpan.FromSeconds(5);
                }
            }

            await Task.Delay(Poll, cancel).ConfigureAwait(false);
        }
    }

    /// <summary>The group over every shard: entries read, pending and lag added up; null until every shard's group exists.</summary>
    private static async Task<Group?> GroupAsync(IDatabase db, RedisLayout layout)
    {
        long read = 0, pending = 0, lag = 0;
        foreach (var shard in layout.EventShards)
        {
            var groups = await db.StreamGroupInfoAsync(shard.Events).ConfigureAwait(false);
            if (groups.FirstOrDefault(static g => g.Name == RedisLayout.AnalyticsGroup) is not { Name: not null } group)
            {
                return null;
            }

            (read, pending, lag) = (read + (group.EntriesRead ?? 0), pending + group.PendingMessageCount, lag + (group.Lag ?? 0));
        }

        return new Group(read, pending, lag);
    }

    private sealed record Group(long? EntriesRead, long PendingMessageCount, long? Lag);

    private static async Task<long> UsedMemoryAsync(IServer[] servers)
    {
        long sum = 0;
        foreach (var server in servers)
        {
            sum += long.Parse(await InfoAsync(server, "memory", "used_memory").ConfigureAwait(false), CultureInfo.InvariantCulture);
        }

        return sum;
    }

    /// <summary>Redis's own CPU seconds (user + system, every thread, every master).</summary>
    private static async Task<double> RedisCpuAsync(IServer[] servers)
    {
        double sum = 0;
        foreach (var server in servers)
        {
            sum += double.Parse(await InfoAsync(server, "cpu", "used_cpu_user").ConfigureAwait(false), CultureInfo.InvariantCulture)
                + double.Parse(await InfoAsync(server, "cpu", "used_cpu_sys").ConfigureAwait(false), CultureInfo.InvariantCulture);
        }

        return sum;
    }

    private static async Task<string> InfoAsync(IServer server, string section, string field) =>
        (await server.InfoAsync(section).ConfigureAwait(false)).SelectMany(static g => g).First(p => p.Key == field).Value;
}

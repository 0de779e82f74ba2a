using System.Text;
using Capgo.Edge.ControlPlane.Analytics;
using Capgo.Edge.Redis;
using Capgo.Edge.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;

namespace Capgo.Edge.ControlPlane.Tests;

/// <summary>
/// The fleet on a real Redis Cluster of 3 masters and 3 replicas (docs/events.md, docs/reliability.md):
/// two in-process edges and the command line under a prefix with a hash tag, device events over 3
/// shards on 3 masters, and the projection's master killed while checks run.
/// </summary>
public sealed class ClusterTests : IAsyncLifetime
{
    private const string Prefix = "{capgo}:";
    private const int Shards = 3;
    private const string MissedApp = "com.missed.app";
    private RedisCluster _cluster = null!;
    private ConnectionMultiplexer _mux = null!;
    private string _dir = null!;
    private readonly RedisLayout _layout = new(Prefix, Shards);

    public async Task InitializeAsync()
    {
        _cluster = await RedisCluster.StartAsync();
        _mux = await ConnectionMultiplexer.ConnectAsync(_cluster.ConnectionString + ",allowAdmin=true");
        _dir = Directory.CreateTempSubdirectory("capgo-cluster-").FullName;
    }

    public async Task DisposeAsync()
    {
        await _mux.DisposeAsync();
        await _cluster.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    private Task<(int Code, string Out, string Err)> CliAsync(params string[] args) =>
        CliRun.RunAsync([.. args, "--redis", _cluster.ConnectionString, "--prefix", Prefix, "--event-shards", $"{Shards}"]);

    private Task<TestEdge> StartEdgeAsync(string name) => TestEdge.StartAsync(new TestEdgeOptions
    {
        Redis = _cluster.ConnectionString,
        Name = name,
        Prefix = Prefix,
        WaitReady = true,
        Args = [$"--Events:Shards={Shards}"],
    });

    private async Task PublishAsync(string betaBundle)
    {
        var file = Path.Combine(_dir, "app.json");
        await File.WriteAllBytesAsync(file, Documents.Sample(betaBundle));
        var (code, stdout, stderr) = await CliAsync("publish", file, "--wait", "--timeout", "20s");
        Assert.True(code == 0, $"publish --wait exited {code}: {stdout} {stderr}");
    }

    [Fact]
    public async Task A_fleet_on_a_cluster_publishes_pins_reconciles_counts_sharded_events_once_and_rides_out_a_master_failover()
    {
        await using var a = await StartEdgeAsync("cluster-a");
        await using var b = await StartEdgeAsync("cluster-b");
        TestEdge[] edges = [a, b];

        // Publish and pin through the command line, each confirmed by every live edge (--wait).
        await PublishAsync("1.6.0-beta.1");
        foreach (var edge in edges)
        {
            Assert.Equal("1.6.0-beta.1", (await edge.CheckAsync(Documents.AndroidCheck())).Body.GetProperty("version").GetString());
        }

        var (code, stdout, stderr) = await CliAsync("override", "set", "--app", Documents.AppId, "--device", Documents.AndroidDevice, "--channel", "production", "--wait", "--timeout", "20s");
        Assert.True(code == 0, $"override set --wait exited {code}: {stdout} {stderr}");
        foreach (var edge in edges)
        {
            Assert.Equal("1.4.0", (await edge.CheckAsync(Documents.AndroidCheck())).Body.GetProperty("version").GetString());
        }

        // An app written without its announcement: edges find it by reconciling.
        await WriteWithoutAnnouncementAsync();
        foreach (var edge in edges)
        {
            await Eventually.TrueAsync(() => edge.Store.Find(MissedApp) is not null, $"{edge.Name} to reconcile the unannounced app");
        }

        await CountsShardedEventsOnceAsync(edges);
        await RidesOutAFailoverAsync(edges);
    }

    [Fact]
    public async Task On_a_cluster_a_prefix_without_a_hash_tag_is_refused_and_shard_slots_are_what_redis_computes()
    {
        var untagged = new RedisLayout("capgo:edge:", Shards);
        Assert.Contains("has no hash tag", ClusterLayoutGuard.Refusal(_mux, untagged), StringComparison.Ordinal);
        Assert.Null(ClusterLayoutGuard.Refusal(_mux, _layout));

        var (code, _, stderr) = await CliRun.RunAsync("inspect", "--app", Documents.AppId, "--redis", _cluster.ConnectionString, "--prefix", "capgo:edge:");
        Assert.Equal(1, code);
        Assert.Contains("--prefix 'capgo:edge:' has no hash tag", stderr, StringComparison.Ordinal);

        // The keys docs/events.md and docs/redis-layout.md show.
        Assert.Equal(["{capgo.s0.11}:events", "{capgo.s1.13}:events", "{capgo.s2.10}:events"], _layout.EventShards.Select(static s => s.Events.ToString()));
        Assert.Equal("capgo:edge:{s0.0}:events", untagged.EventShards[0].Events.ToString());
        Assert.Equal("capgo:edge:events", new RedisLayout("capgo:edge:").EventShards.Single().Events.ToString());

        var server = _mux.GetServers().First(static s => s.IsConnected);
        foreach (var shard in _layout.EventShards.Concat(untagged.EventShards))
        {
            Assert.Equal((long)await server.ExecuteAsync("CLUSTER", "KEYSLOT", (string)shard.Events!), shard.Slot);
        }

        Assert.Equal((long)await server.ExecuteAsync("CLUSTER", "KEYSLOT", (string)_layout.Generation!), _layout.ProjectionSlot);

        await using var edge = await TestEdge.StartAsync(new TestEdgeOptions { Redis = _cluster.ConnectionString, Name = "untagged", Prefix = "capgo:edge:" });
        var lifetime = edge.Services.GetRequiredService<Microsoft.Extensions.Hosting.IHostApplicationLifetime>();
        try
        {
            await Eventually.TrueAsync(() => lifetime.ApplicationStopping.IsCancellationRequested, "the edge to stop itself");
            Assert.Equal(1, Environment.ExitCode);
        }
        finally
        {
            Environment.ExitCode = 0;
        }
    }

    /// <summary>300 devices' checks go to 3 streams on 3 masters; a consumer per shard counts each exactly once.</summary>
    private async Task CountsShardedEventsOnceAsync(TestEdge[] edges)
    {
        const int devices = 300;
        for (var i = 0; i < devices; i++)
        {
            var (status, _) = await edges[i % 2].CheckAsync(Documents.AndroidCheck(deviceId: $"00000000-0000-4000-8000-{i:D12}"));
            Assert.Equal(200, status);
        }

        var db = _mux.GetDatabase();
        await Eventually.TrueAsync(async () => await StreamLengthsAsync(db) >= devices, "the edges to write every check event");
        var lengths = await Task.WhenAll(_layout.EventShards.Select(s => db.StreamLengthAsync(s.Events)));
        Assert.All(lengths, length => Assert.True(length > 0, "every shard holds events"));
        Assert.Equal(Shards, _layout.EventShards.Select(s => _mux.GetServer(s.Events).EndPoint.ToString()).Distinct().Count());

        // Two consumers per shard, as two service processes would run.
        var options = new AnalyticsOptions { BatchSize = 50, IdleDelay = TimeSpan.FromMilliseconds(20) };
        var consumers = _layout.EventShards.SelectMany(s => new[] { "x", "y" }.Select(name => new AnalyticsConsumer(
            _mux, _layout, new AnalyticsOptions { ConsumerName = name, BatchSize = options.BatchSize, IdleDelay = options.IdleDelay }, NullLogger<AnalyticsConsumer>.Instance, s.Index))).ToList();
        using var stop = new CancellationTokenSource();
        var running = consumers.Select(c => Task.Run(async () =>
        {
            try
            {
                await c.RunAsync(stop.Token);
            }
            catch (OperationCanceledException)
            {
            }
        })).ToList();
        var total = await StreamLengthsAsync(db);
        await Eventually.TrueAsync(() => consumers.Sum(c => c.Counted) >= total, "the consumers to count every shard");
        await stop.CancelAsync();
        await Task.WhenAll(running);

        Assert.Equal(total, consumers.Sum(c => c.Counted));
        var processed = await Task.WhenAll(_layout.EventShards.Select(s => db.HashGetAsync(s.AnalyticsCounts, "processed")));
        Assert.Equal(total, processed.Sum(p => (long)p));
        var stats = await new ReleaseStats(_mux, _layout).ReadAsync(Documents.AppId, TimeSpan.FromHours(1));
        Assert.Equal(total, stats.Sum(s => s.Checks));
        Assert.InRange(stats.Sum(s => s.ActiveDevices), devices - 3, devices + 3); // HyperLogLog: ±1 %
        var device = await new DeviceRegistry(_mux, _layout).FindAsync(Documents.AppId, "00000000-0000-4000-8000-000000000007");
        Assert.NotNull(device);
    }

    /// <summary>Kills the master of the projection's slot while both edges answer checks: none fails, and a later publish is served.</summary>
    private async Task RidesOutAFailoverAsync(TestEdge[] edges)
    {
        var master = await _cluster.MasterOfAsync(_layout.ProjectionSlot) ?? throw new InvalidOperationException("no master holds the projection's slot");
        var (total, failed) = (0, 0);
        var failures = new StringBuilder();
        using var stop = new CancellationTokenSource();
        var load = Task.Run(async () =>
        {
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                var (status, body) = await edges[i % 2].CheckAsync(Documents.AndroidCheck(deviceId: "11111111-2222-4333-8444-555555555555"));
                Interlocked.Increment(ref total);
                if (status != 200 || body.GetProperty("version").GetString() is not ("1.6.0-beta.1" or "1.5.0"))
                {
                    Interlocked.Increment(ref failed);
                    failures.Append(status).Append(' ').Append(body).AppendLine();
                }
            }
        });

        await Eventually.TrueAsync(() => Volatile.Read(ref total) > 50, "checks before the kill");
        await _cluster.KillAsync(master);
        try
        {
            await Eventually.TrueAsync(async () => await _cluster.IsOkAsync() && await _cluster.MasterOfAsync(_layout.ProjectionSlot) is { } now && now != master, "a replica to take over the projection's slot", TimeSpan.FromSeconds(30));
        }
        catch (Xunit.Sdk.XunitException ex)
        {
            throw new Xunit.Sdk.XunitException($"{ex.Message} (killed {master}):\n{await _cluster.DescribeAsync()}");
        }
        var before = Volatile.Read(ref total);
        await Eventually.TrueAsync(() => Volatile.Read(ref total) > before + 50, "checks after the failover");

        var file = await WriteSampleAsync("1.5.0");
        var last = "";
        try
        {
            await Eventually.TrueAsync(
                async () =>
                {
                    var (code, stdout, stderr) = await CliAsync("publish", file, "--wait", "--timeout", "10s");
                    last = $"exit {code}: {stdout} {stderr}";
                    return code == 0;
                },
                "a publish confirmed by every edge after the failover",
                TimeSpan.FromSeconds(40));
        }
        catch (Xunit.Sdk.XunitException ex)
        {
            throw new Xunit.Sdk.XunitException($"{ex.Message}; the last attempt: {last}");
        }
        foreach (var edge in edges)
        {
            Assert.Equal("1.5.0", (await edge.CheckAsync(Documents.AndroidCheck(deviceId: "11111111-2222-4333-8444-555555555555"))).Body.GetProperty("version").GetString());
        }

        await stop.CancelAsync();
        await load;
        Assert.True(failed == 0, $"{failed} of {total} checks failed during the failover:\n{failures}");
    }

    private async Task<string> WriteSampleAsync(string betaBundle)
    {
        var file = Path.Combine(_dir, $"app-{betaBundle}.json");
        await File.WriteAllBytesAsync(file, Documents.Sample(betaBundle));
        return file;
    }

    private async Task<long> StreamLengthsAsync(IDatabase db) =>
        (await Task.WhenAll(_layout.EventShards.Select(s => db.StreamLengthAsync(s.Events)))).Sum();

    /// <summary>A copy of the published app under another id, written as the publish script would but with no PUBLISH.</summary>
    private async Task WriteWithoutAnnouncementAsync()
    {
        var db = _mux.GetDatabase();
        var doc = ((string?)await db.HashGetAsync(_layout.App(Documents.AppId), "doc"))!.Replace(Documents.AppId, MissedApp, StringComparison.Ordinal);
        var gen = (long)await db.StringIncrementAsync(_layout.Generation);
        var transaction = db.CreateTransaction();
        _ = transaction.HashSetAsync(_layout.App(MissedApp), [new("doc", doc), new("gen", gen)]);
        _ = transaction.SetAddAsync(_layout.AppChannels(MissedApp), ["production", "beta", "development"]);
        _ = transaction.SetAddAsync(_layout.Apps, MissedApp);
        Assert.True(await transaction.ExecuteAsync());
    }
}

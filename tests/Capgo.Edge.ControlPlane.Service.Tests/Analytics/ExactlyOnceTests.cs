using Capgo.Edge.ControlPlane.Analytics;
using Capgo.Edge.Redis;
using Capgo.Edge.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;

namespace Capgo.Edge.ControlPlane.Service.Tests.Analytics;

/// <summary>
/// The event consumer counts each stream entry exactly once: with two consumers in the group, with a
/// consumer that dies holding a batch, and with one that wakes up after its batch was taken over.
/// </summary>
public sealed class ExactlyOnceTests : IAsyncLifetime
{
    private const string App = "com.demo.app";
    private readonly RedisLayout _layout = new("x1:capgo:edge:");
    private RedisServer _redis = null!;
    private ConnectionMultiplexer _mux = null!;

    public async Task InitializeAsync()
    {
        _redis = await RedisServer.StartAsync();
        _mux = await ConnectionMultiplexer.ConnectAsync(_redis.ConnectionString);
    }

    public async Task DisposeAsync()
    {
        await _mux.DisposeAsync();
        await _redis.DisposeAsync();
    }

    private AnalyticsConsumer Consumer(string name, int batch = 200, TimeSpan? claimAfter = null) => new(
        _mux, _layout, new AnalyticsOptions { ConsumerName = name, BatchSize = batch, ClaimAfter = claimAfter ?? TimeSpan.FromMilliseconds(300), IdleDelay = TimeSpan.FromMilliseconds(20) },
        NullLogger<AnalyticsConsumer>.Instance);

    private ReleaseStats Stats => new(_mux, _layout);

    /// <summary>3 000 installs of 2.0.0 by 1 000 devices, 1 000 failures, 500 downloads and 1 500 checks, interleaved.</summary>
    private static List<NameValueEntry[]> Workload()
    {
        var entries = new List<NameValueEntry[]>();
        for (var i = 0; i < 3_000; i++)
        {
            entries.Add(StreamEvents.Stats(App, StreamEvents.Device(i % 1_000), "set", "2.0.0"));
            if (i % 3 == 0)
            {
                entries.Add(StreamEvents.Stats(App, StreamEvents.Device(i % 1_000), "download_fail", "2.0.0"));
            }

            if (i % 6 == 0)
            {
                entries.Add(StreamEvents.Stats(App, StreamEvents.Device(i % 1_000), "download_complete", "2.0.0"));
            }

            if (i % 2 == 0)
            {
                entries.Add(StreamEvents.Check(App, StreamEvents.Device(i % 1_000), "no_new_version_available", "2.0.0", "production"));
            }
        }

        return entries;
    }

    private async Task AssertExactAsync()
    {
        var bundle = Assert.Single(await Stats.ReadAsync(App, TimeSpan.FromHours(1)));
        Assert.Equal(("2.0.0", 3_000L, 1_000L, 500L, 1_500L), (bundle.Bundle, bundle.Installs, bundle.Failures, bundle.Downloads, bundle.Checks));
        Assert.InRange(bundle.ActiveDevices, 990, 1_010); // HyperLogLog: ±1 %
        Assert.Equal(6_000L, (long)await _mux.GetDatabase().HashGetAsync(_layout.AnalyticsCounts, "processed"));
    }

    private async Task<long> PendingAsync() =>
        (await _mux.GetDatabase().StreamPendingAsync(_layout.Events, RedisLayout.AnalyticsGroup)).PendingMessageCount;

    [Fact]
    public async Task Two_consumers_in_the_group_split_the_stream_and_count_every_entry_once()
    {
        await StreamEvents.AddAsync(_mux.GetDatabase(), _layout, Workload());
        var (a, b) = (Consumer("a"), Consumer("b"));
        using var stop = new CancellationTokenSource();
        var runs = new[] { a.RunAsync(stop.Token), b.RunAsync(stop.Token) };

        await Eventually.TrueAsync(() => a.Counted + b.Counted == 6_000, "both consumers to count the whole stream", TimeSpan.FromSeconds(60));
        await stop.CancelAsync();
        await Task.WhenAll(runs.Select(static r => r.ContinueWith(static _ => { }, TaskScheduler.Default)));

        Assert.True(a.Counted > 0 && b.Counted > 0, $"the group split the work: a {a.Counted}, b {b.Counted}");
        Assert.Equal(0, await PendingAsync());
        await AssertExactAsync();
    }

    [Fact]
    public async Task A_consumer_that_dies_holding_a_batch_loses_nothing_and_one_that_wakes_after_a_takeover_doubles_nothing()
    {
        await StreamEvents.AddAsync(_mux.GetDatabase(), _layout, Workload());
        var dead = Consumer("dead", batch: 700);
        await dead.EnsureGroupAsync();
        var held = await dead.ReadAsync(">"); // read, then "killed" before counting
        Assert.Equal(700, held.Length);

        var survivor = Consumer("survivor");
        using var stop = new CancellationTokenSource();
        var run = survivor.RunAsync(stop.Token);
        await Eventually.TrueAsync(() => survivor.Counted == 6_000, "the survivor to count everything, the dead consumer's batch included", TimeSpan.FromSeconds(60));

        // The dead consumer comes back and tries to count the batch it held: refused, nothing doubled.
        Assert.Equal(0, await dead.ProcessAsync(held));
        await stop.CancelAsync();
        await run.ContinueWith(static _ => { }, TaskScheduler.Default);

        Assert.Equal(0, await PendingAsync());
        await AssertExactAsync();
    }

    [Fact]
    public async Task A_consumer_restarted_under_its_name_first_counts_what_it_left_pending()
    {
        await StreamEvents.AddAsync(_mux.GetDatabase(), _layout, Workload());
        var first = Consumer("steady", batch: 500, claimAfter: TimeSpan.FromHours(1));
        await first.EnsureGroupAsync();
        _ = await first.ReadAsync(">");
        _ = await first.ReadAsync(">"); // two batches read, the process dies

        var restarted = Consumer("steady", batch: 500, claimAfter: TimeSpan.FromHours(1));
        using var stop = new CancellationTokenSource();
        var run = restarted.RunAsync(stop.Token);
        await Eventually.TrueAsync(() => restarted.Counted == 6_000, "the restarted consumer to count everything", TimeSpan.FromSeconds(60));
        await stop.CancelAsync();
        await run.ContinueWith(static _ => { }, TaskScheduler.Default);

        await AssertExactAsync();
    }

    [Fact]
    public async Task A_malformed_entry_is_counted_and_skipped_and_the_consumer_goes_on()
    {
        var db = _mux.GetDatabase();
        await db.StreamAddAsync(_layout.Events, [new NameValueEntry("kind", "stats"), new NameValueEntry("ts", "yesterday")]);
        await db.StreamAddAsync(_layout.Events, [new NameValueEntry("garbage", "1")]);
        await StreamEvents.AddAsync(db, _layout, [StreamEvents.Stats(App, StreamEvents.Device(1), "set", "2.0.0")]);
        var consumer = Consumer("tolerant");
        using var stop = new CancellationTokenSource();
        var run = consumer.RunAsync(stop.Token);

        await Eventually.TrueAsync(() => consumer.Counted == 3, "all three entries to be handled");
        await stop.CancelAsync();
        await run.ContinueWith(static _ => { }, TaskScheduler.Default);

        Assert.Equal(2L, (long)await db.HashGetAsync(_layout.AnalyticsCounts, "malformed"));
        Assert.Equal(1L, (long)await db.HashGetAsync(_layout.AnalyticsCounts, "processed"));
        Assert.Equal(1, Assert.Single(await Stats.ReadAsync(App, TimeSpan.FromHours(1))).Installs);
        Assert.Equal(0, await PendingAsync());
    }

    [Fact]
    public async Task A_batch_of_the_largest_allowed_size_is_counted_in_one_script()
    {
        // 10 000 ids to acknowledge and 10 000 members for one HyperLogLog: more than Lua unpacks at once.
        await StreamEvents.AddAsync(_mux.GetDatabase(), _layout, Enumerable.Range(0, 10_000).Select(static i => StreamEvents.Stats(App, StreamEvents.Device(i), "set", "2.0.0")));
        var consumer = Consumer("large", batch: 10_000);
        await consumer.EnsureGroupAsync();

        Assert.Equal(10_000, await consumer.ProcessAsync(await consumer.ReadAsync(">")));

        var bundle = Assert.Single(await Stats.ReadAsync(App, TimeSpan.FromHours(1)));
        Assert.Equal(10_000, bundle.Installs);
        Assert.InRange(bundle.ActiveDevices, 9_900, 10_100); // HyperLogLog: ±1 %
        Assert.Equal(0, await PendingAsync());
    }
}

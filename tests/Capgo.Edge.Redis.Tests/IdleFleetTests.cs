using System.Globalization;
using Capgo.Edge.ControlPlane;
using Capgo.Edge.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;
using Xunit.Abstractions;

namespace Capgo.Edge.Redis.Tests;

/// <summary>
/// An idle fleet costs Redis O(edges), not O(edges × apps) (docs/sync.md): an edge whose reconcile finds
/// the fleet-wide change counter where it holds every change (after a reconcile, or after applying every
/// announcement) reads nothing else, and one that finds another value — a missed announcement, Redis
/// back empty, a counter gone back or gone — compares every app. Each test
/// has a redis-server of its own, so <c>INFO commandstats</c> counts that edge's commands alone.
/// </summary>
[Collection(SharedRedis.Name)]
public sealed class IdleFleetTests(ITestOutputHelper output)
{
    /// <summary>The commands a reconcile sends per app, or for the app list.</summary>
    private static readonly string[] PerAppCommands = ["smembers", "sscan", "hget", "hmget", "hgetall", "hlen", "hscan", "exists"];

    private const string Other = "com.demo.other";

    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(200);

    private readonly RedisLayout _layout = new();

    [Fact]
    public async Task An_idle_edge_reads_only_the_change_counter_and_beats_whatever_the_number_of_apps()
    {
        await using var redis = await IsolatedRedis.StartAsync();
        string[] apps = [.. Enumerable.Range(0, 20).Select(static i => $"com.idle.app{i:D2}")];
        foreach (var app in apps)
        {
            await redis.Publisher(_layout).PublishAsync(Documents.Sample(appId: app));
        }

        await using var edge = await StartEdgeAsync(redis, "idle", apps);
        await redis.ResetStatsAsync();
        await Eventually.TrueAsync(async () => (await redis.CallsAsync()).GetValueOrDefault("get") >= 5, "five reconcile passes");

        var calls = await redis.CallsAsync();
        output.WriteLine($"over {calls["get"]} reconcile passes of an edge holding {apps.Length} apps: " +
            string.Join(", ", calls.OrderBy(static c => c.Key, StringComparer.Ordinal).Select(static c => $"{c.Key} {c.Value}")));
        Assert.All(PerAppCommands, command => Assert.False(calls.ContainsKey(command), $"an idle reconcile sent {command}"));

        // The goal's budget: reconcile and heartbeats together ≤ 10 commands per edge and interval (here
        // both run every 200 ms, as both do every 5 s by default). INFO and CONFIG are this test's own.
        var edgeCalls = calls.Where(static c => !c.Key.StartsWith("info", StringComparison.Ordinal) && !c.Key.StartsWith("config", StringComparison.Ordinal)).Sum(static c => c.Value);
        Assert.True(edgeCalls <= 10 * calls["get"], $"{edgeCalls} commands over {calls["get"]} passes");
    }

    [Fact]
    public async Task An_edge_that_applies_every_announcement_holds_the_counter_without_reading_the_app_list()
    {
        await using var redis = await IsolatedRedis.StartAsync();
        var publisher = redis.Publisher(_layout);
        await publisher.PublishAsync(Documents.Sample(withOverrides: false));
        await publisher.PublishAsync(Documents.Sample(appId: Other, withOverrides: false));

        // A reconcile interval longer than the test: only announcements move what the edge holds.
        await using var edge = await TestEdge.StartAsync(new TestEdgeOptions
        {
            Redis = redis.Server.ConnectionString,
            Name = "busy",
            Prefix = _layout.Prefix,
            ReconcileInterval = TimeSpan.FromMinutes(1),
            WaitForApps = [Documents.AppId, Other],
        });
        await redis.ResetStatsAsync();

        // One change of each kind, each announced.
        await publisher.PublishAsync(Documents.Sample(betaBundle: "1.5.0", withOverrides: false));
        var ogen = await publisher.SetOverrideAsync(Documents.AppId, Documents.AndroidDevice, "development");
        await publisher.DeleteAsync(Other);
        var counter = Generations.Parse(await redis.Mux.GetDatabase().StringGetAsync(_layout.Generation));
        // The counter moves after the change it follows is installed: wait for both.
        var held = edge.Services.GetRequiredService<ChangeCounter>();
        await Eventually.TrueAsync(
            () => edge.Store.Find(Other) is null && edge.Store.Find(Documents.AppId)?.Overrides.Generation == ogen && held.Holds(counter),
            "every announcement applied, the edge holding every change up to the counter");
        var calls = await redis.CallsAsync();
        Assert.False(calls.ContainsKey("smembers"), "no reconcile should have read the app list");
    }

    [Fact]
    public async Task A_change_whose_announcement_was_lost_reaches_an_idle_edge_at_its_next_reconcile()
    {
        await using var redis = await IsolatedRedis.StartAsync();
        await redis.Publisher(_layout).PublishAsync(Documents.Sample());
        await using var edge = await StartEdgeAsync(redis, "missed", [Documents.AppId]);
        await redis.SettledAsync();

        // A change that reached Redis, counter included, whose announcement never reached the edge.
        var db = redis.Mux.GetDatabase();
        var gen = await db.StringIncrementAsync(_layout.Generation);
        await WriteAppAsync(db, gen, "1.5.0", counter: null);

        await Eventually.TrueAsync(() => edge.GenerationOf(Documents.AppId) == gen, "the change without its announcement");
        var (_, body) = await edge.CheckAsync(Documents.AndroidCheck());
        Assert.Equal("1.5.0", body.GetProperty("version").GetString());
    }

    [Fact]
    public async Task An_idle_edge_converges_when_Redis_comes_back_empty_with_a_counter_gone_back_or_gone()
    {
        await using var redis = await IsolatedRedis.StartAsync();
        var db = redis.Mux.GetDatabase();
        var server = redis.Mux.GetServer(redis.Mux.GetEndPoints()[0]);

        // Published on a clock an hour ahead: the counter the edge settles on is far in the future.
        var ahead = DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeMilliseconds() * 1000;
        await db.StringSetAsync(_layout.Generation, ahead.ToString(CultureInfo.InvariantCulture));
        var future = await redis.Publisher(_layout).PublishAsync(Documents.Sample());
        await using var edge = await StartEdgeAsync(redis, "emptied", [Documents.AppId]);
        await redis.SettledAsync();

        // Redis emptied under the edge (its connections stay up, so nothing but the counter tells) and
        // an app written back with a counter below the one held: equal or not is what counts.
        await server.FlushAllDatabasesAsync();
        var past = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1000;
        Assert.True(past < future);
        await WriteAppAsync(db, past, "1.5.0", counter: past);
        await Eventually.TrueAsync(() => edge.GenerationOf(Documents.AppId) == past, "the app behind a counter that went back");

        // Emptied again, and the counter gone altogether.
        await redis.SettledAsync();
        await server.FlushAllDatabasesAsync();
        await WriteAppAsync(db, past + 10, "1.4.0", counter: null);
        await Eventually.TrueAsync(() => edge.GenerationOf(Documents.AppId) == past + 10, "the app behind a counter that vanished");
        var (_, body) = await edge.CheckAsync(Documents.AndroidCheck());
        Assert.Equal("1.4.0", body.GetProperty("version").GetString());
    }

    [Fact]
    public async Task An_app_deleted_while_its_overrides_lag_does_not_keep_the_edge_comparing_every_app()
    {
        await using var redis = await IsolatedRedis.StartAsync();
        var publisher = redis.Publisher(_layout);
        await publisher.PublishAsync(Documents.Sample());
        await publisher.PublishAsync(Documents.Sample(appId: Other, withOverrides: false));

        // The loop's own passes are a minute apart: this test makes them, on the edge's own reconciler.
        await using var edge = await TestEdge.StartAsync(new TestEdgeOptions
        {
            Redis = redis.Server.ConnectionString,
            Name = "lagging",
            Prefix = _layout.Prefix,
            ReconcileInterval = TimeSpan.FromMinutes(1),
            WaitForApps = [Documents.AppId, Other],
        });
        var reconciler = edge.Services.GetRequiredService<Reconciler>();
        var db = redis.Mux.GetDatabase();

        // The loop's first pass done (the edge holds the counter), so no pass of its own runs beside these.
        var published = Generations.Parse(await db.StringGetAsync(_layout.Generation));
        await Eventually.TrueAsync(() => edge.Services.GetRequiredService<ChangeCounter>().Holds(published), "the edge's first pass");

        // The app's overrides moved in Redis, counter included, without an announcement: a pass finds them
        // behind and, as announcements may still be on their way, waits one more pass before reloading.
        var counter = await db.StringIncrementAsync(_layout.Generation);
        await db.StringSetAsync(_layout.AppOverridesGeneration(Documents.AppId), counter.ToString(CultureInfo.InvariantCulture));
        Assert.True(await reconciler.ReconcileAsync(db));

        // Deleted before that pass: nothing is behind any more, so the edge settles again.
        await publisher.DeleteAsync(Documents.AppId);
        await Eventually.TrueAsync(() => edge.Store.Find(Documents.AppId) is null, "the delete applied");
        Assert.True(await reconciler.ReconcileAsync(db));

        await redis.ResetStatsAsync();
        Assert.True(await reconciler.ReconcileAsync(db));
        var calls = await redis.CallsAsync();
        Assert.False(calls.ContainsKey("smembers"), "a settled edge should not read the app list: " + string.Join(", ", calls.Keys));
    }

    /// <summary>Writes the sample app as a publish would, in one transaction, without announcing it.</summary>
    private async Task WriteAppAsync(IDatabase db, long gen, string betaBundle, long? counter)
    {
        var text = gen.ToString(CultureInfo.InvariantCulture);
        var write = db.CreateTransaction();
        _ = write.HashSetAsync(_layout.App(Documents.AppId), [new HashEntry("doc", Documents.Sample(betaBundle, withOverrides: false)), new HashEntry("gen", text)]);
        _ = write.SetAddAsync(_layout.Apps, Documents.AppId);
        if (counter is { } value)
        {
            _ = write.StringSetAsync(_layout.Generation, value.ToString(CultureInfo.InvariantCulture));
        }

        Assert.True(await write.ExecuteAsync());
    }

    private Task<TestEdge> StartEdgeAsync(IsolatedRedis redis, string name, IReadOnlyList<string> apps) =>
        TestEdge.StartAsync(new TestEdgeOptions
        {
            Redis = redis.Server.ConnectionString,
            Name = name,
            Prefix = _layout.Prefix,
            ReconcileInterval = Interval,
            HeartbeatInterval = Interval,
            WaitForApps = apps,
        });

    /// <summary>A redis-server for one test, and the counts of the commands it ran.</summary>
    private sealed class IsolatedRedis : IAsyncDisposable
    {
        private IsolatedRedis(RedisServer server, ConnectionMultiplexer mux) => (Server, Mux) = (server, mux);

        public RedisServer Server { get; }

        public ConnectionMultiplexer Mux { get; }

        public static async Task<IsolatedRedis> StartAsync()
        {
            var server = await RedisServer.StartAsync();
            return new IsolatedRedis(server, await ConnectionMultiplexer.ConnectAsync(server.ConnectionString + ",allowAdmin=true"));
        }

        public ProjectionPublisher Publisher(RedisLayout layout) => new(Mux, layout);

        private IServer Admin => Mux.GetServer(Mux.GetEndPoints()[0]);

        public Task ResetStatsAsync() => Admin.ConfigResetStatisticsAsync();

        /// <summary>Calls per command (lower case) since the last reset, from <c>INFO commandstats</c>.</summary>
        public async Task<Dictionary<string, long>> CallsAsync()
        {
            var calls = new Dictionary<string, long>(StringComparer.Ordinal);
            foreach (var (name, value) in (await Admin.InfoAsync("commandstats")).SelectMany(static g => g))
            {
                var count = value.Split(',').First(static f => f.StartsWith("calls=", StringComparison.Ordinal))["calls=".Length..];
                calls[name["cmdstat_".Length..]] = long.Parse(count, CultureInfo.InvariantCulture);
            }

            return calls;
        }

        /// <summary>Waits until the edge's reconcile finds nothing changed: two passes that read no app.</summary>
        public async Task SettledAsync()
        {
            await ResetStatsAsync();
            await Eventually.TrueAsync(
                async () =>
                {
                    var calls = await CallsAsync();
                    if (calls.ContainsKey("smembers"))
                    {
                        await ResetStatsAsync();
                        return false;
                    }

                    return calls.GetValueOrDefault("get") >= 2;
                },
                "the edge's reconcile to settle on the counter");
        }

        public async ValueTask DisposeAsync()
        {
            await Mux.DisposeAsync();
            await Server.DisposeAsync();
        }
    }
}

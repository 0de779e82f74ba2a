using System.Globalization;
using Capgo.Edge.ControlPlane;
using Capgo.Edge.Tests.Support;
using StackExchange.Redis;

namespace Capgo.Edge.Redis.Tests;

/// <summary>
/// Bad data and lost messages an edge meets in Redis (issue: supervised against bad data, a sync that
/// detects every gap, generations compared for equality). Each case is written straight into the real
/// Redis the edges read, bypassing the publisher's validation.
/// </summary>
[Collection(SharedRedis.Name)]
public sealed class FaultTests(RedisFixture redis)
{
    private const string Other = "com.demo.other";
    private const string PinnedA = "11111111-2222-4333-8444-555555555555";
    private const string PinnedB = "66666666-7777-4888-9999-000000000000";
    private readonly RedisLayout _layout = redis.NewLayout();

    private ProjectionPublisher Publisher => redis.Publisher(_layout);

    private IDatabase Db => redis.Mux.GetDatabase();

    private Task<TestEdge> StartEdgeAsync(string name) =>
        TestEdge.StartAsync(new TestEdgeOptions { Redis = redis.ConnectionString, Name = name, Prefix = _layout.Prefix, WaitReady = true, Admin = true });

    /// <summary>The admin endpoint's detailed health, as text.</summary>
    private static async Task<string> AdminHealthAsync(TestEdge edge)
    {
        using var response = await edge.Admin!.GetAsync("/healthz");
        return await response.Content.ReadAsStringAsync();
    }

    [Fact]
    public async Task A_malformed_generation_or_document_in_Redis_is_refused_for_that_app_alone_and_the_edge_goes_on()
    {
        await using var edge = await StartEdgeAsync("supervised");
        var good = await Publisher.PublishAsync(Documents.Sample());
        var other = await Publisher.PublishAsync(Documents.Sample(appId: Other));
        await Eventually.TrueAsync(() => edge.GenerationOf(Documents.AppId) == good && edge.GenerationOf(Other) == other, "both apps");

        // A generation that is not a number, written with the change counter as every writer does:
        // found by the next reconcile.
        await Db.HashSetAsync(_layout.App(Documents.AppId), "gen", "not-a-number");
        await Db.StringIncrementAsync(_layout.Generation);
        await Eventually.TrueAsync(() => edge.Store.Rejected.ContainsKey(Documents.AppId), "the bad generation to be refused");
        Assert.Contains("not-a-number", edge.Store.Rejected[Documents.AppId], StringComparison.Ordinal);

        // A document with a lone surrogate, announced like a publish.
        var broken = System.Text.Encoding.UTF8.GetString(Documents.Sample(appId: Other)).Replace("\"production\"", "\"prod\\ud800uction\"", StringComparison.Ordinal);
        await Db.HashSetAsync(_layout.App(Other), [new HashEntry("doc", broken), new HashEntry("gen", (other + 1).ToString(CultureInfo.InvariantCulture))]);
        await Db.PublishAsync(_layout.Changes, $"{{\"type\":\"app\",\"app_id\":\"{Other}\",\"generation\":{other + 1}}}");
        await Eventually.TrueAsync(() => edge.Store.Rejected.ContainsKey(Other), "the bad document to be refused");
        Assert.Contains("not valid Unicode", edge.Store.Rejected[Other], StringComparison.Ordinal);

        // Health and metrics show it (on the admin port): the edge is degraded, naming the apps.
        var health = await AdminHealthAsync(edge);
        Assert.Contains("rejected_data", health, StringComparison.Ordinal);
        Assert.Contains(Other, health, StringComparison.Ordinal);
        using (var metrics = await edge.Admin!.GetAsync("/metrics"))
        {
            Assert.Matches(@"(?m)^capgo_edge_projection_rejected_apps(\{[^}]*\})? 2( |$)", await metrics.Content.ReadAsStringAsync());
        }

        // Both apps keep their last good snapshot and are answered.
        Assert.Equal((good, other), (edge.GenerationOf(Documents.AppId), edge.GenerationOf(Other)));
        var (status, body) = await edge.CheckAsync(Documents.AndroidCheck());
        Assert.Equal(200, status);
        Assert.Equal("1.6.0-beta.1", body.GetProperty("version").GetString());

        // The sync still runs: good data replaces the bad and clears the refusal.
        var fixedGen = await Publisher.PublishAsync(Documents.Sample(betaBundle: "1.5.0"));
        await Eventually.TrueAsync(() => edge.GenerationOf(Documents.AppId) == fixedGen && !edge.Store.Rejected.ContainsKey(Documents.AppId), "the repaired app");
        Assert.True(edge.Store.Rejected.ContainsKey(Other));
    }

    [Fact]
    public async Task An_override_change_whose_announcement_was_lost_is_recovered_by_the_next_announcement()
    {
        await using var edge = await StartEdgeAsync("gapless");
        var gen = await Publisher.PublishAsync(Documents.Sample(withOverrides: false));
        await Eventually.TrueAsync(() => edge.GenerationOf(Documents.AppId) == gen, "the publish");

        // A change that reached Redis but whose announcement never reached the edge (a dropped
        // subscriber connection): the pin and a new overrides generation, no PUBLISH.
        var lost = gen + 1_000;
        await Db.HashSetAsync(_layout.AppOverrides(Documents.AppId), PinnedA, "beta");
        await Db.StringSetAsync(_layout.AppOverridesGeneration(Documents.AppId), lost.ToString(CultureInfo.InvariantCulture));
        await Db.StringSetAsync(_layout.Generation, lost.ToString(CultureInfo.InvariantCulture));

        // The next change is announced; it follows the lost one, which the edge never held.
        var next = await Publisher.SetOverrideAsync(Documents.AppId, PinnedB, "development");
        await Eventually.TrueAsync(() => edge.Store.Find(Documents.AppId)!.Overrides.Generation == next, "the announced override");
        await Eventually.TrueAsync(() => edge.Store.Find(Documents.AppId)!.Overrides.TryGet(PinnedA, out _), "the lost override to be reloaded");
        Assert.True(edge.Store.Find(Documents.AppId)!.Overrides.TryGet(PinnedB, out var channel));
        Assert.Equal("development", channel);
    }

    [Fact]
    public async Task Killing_only_the_subscriber_connection_while_an_override_is_announced_loses_nothing()
    {
        await using var edge = await StartEdgeAsync("pubsub-killed");
        var gen = await Publisher.PublishAsync(Documents.Sample(withOverrides: false));
        await Eventually.TrueAsync(() => edge.GenerationOf(Documents.AppId) == gen, "the publish");

        var server = redis.Mux.GetServer(redis.Mux.GetEndPoints()[0]);
        await server.ExecuteAsync("CLIENT", "KILL", "TYPE", "pubsub");
        var ogen = await Publisher.SetOverrideAsync(Documents.AppId, PinnedA, "beta");

        await Eventually.TrueAsync(
            () => edge.Store.Find(Documents.AppId)!.Overrides.TryGet(PinnedA, out var c) && c == "beta",
            "the override announced while the subscriber was away");
        Assert.Equal(ogen, edge.Store.Find(Documents.AppId)!.Overrides.Generation);
    }

    [Fact]
    public async Task A_generation_from_a_clock_that_went_back_still_applies_and_wait_reports_it_exactly()
    {
        await using var edge = await StartEdgeAsync("skewed");

        // The first publish happens on a clock an hour ahead (its generation counter says so)...
        var ahead = (DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeMilliseconds() * 1000).ToString(CultureInfo.InvariantCulture);
        await Db.StringSetAsync(_layout.Generation, ahead);
        var future = await Publisher.PublishAsync(Documents.Sample());
        await Eventually.TrueAsync(() => edge.GenerationOf(Documents.AppId) == future, "the publish from the future");

        // ...then Redis comes back empty on a host whose clock is right: generations go back.
        foreach (var key in redis.Mux.GetServer(redis.Mux.GetEndPoints()[0]).Keys(pattern: _layout.Prefix + "*"))
        {
            if (key != _layout.Edges && !key.ToString().StartsWith(_layout.Prefix + "edge:", StringComparison.Ordinal))
            {
                await Db.KeyDeleteAsync(key);
            }
        }

        var past = await Publisher.PublishAsync(Documents.Sample(betaBundle: "1.5.0"));
        Assert.True(past < future);

        var wait = await Publisher.WaitForEdgesAsync(Documents.AppId, past, overrides: false, TimeSpan.FromSeconds(10));
        Assert.True(wait.AllServing, $"lagging: {string.Join(", ", wait.Lagging)}");
        Assert.Equal(past, edge.GenerationOf(Documents.AppId));
        var (_, body) = await edge.CheckAsync(Documents.AndroidCheck());
        Assert.Equal("1.5.0", body.GetProperty("version").GetString());
    }

    [Fact]
    public async Task Wait_does_not_count_an_edge_holding_a_newer_looking_generation_as_serving()
    {
        await using var edge = await StartEdgeAsync("honest");
        var gen = await Publisher.PublishAsync(Documents.Sample());
        await Eventually.TrueAsync(() => edge.GenerationOf(Documents.AppId) == gen, "the publish");

        // The edge acknowledges a generation above the one a publish just wrote, as one from before a
        // clock step back would be: only exactly the written (or current) generation counts.
        var written = await Publisher.PublishAsync(Documents.Sample(betaBundle: "1.5.0"));
        await Eventually.TrueAsync(() => edge.GenerationOf(Documents.AppId) == written, "the second publish");
        await Db.HashSetAsync(_layout.EdgeApps("honest"), Documents.AppId, $"{written + 5_000} 0");

        var wait = await Publisher.WaitForEdgesAsync(Documents.AppId, written, overrides: false, TimeSpan.FromMilliseconds(300));

        Assert.False(wait.AllServing);
        Assert.Equal(["honest"], wait.Lagging);
    }

    [Fact]
    public async Task Redis_paused_and_resumed_costs_no_check_and_the_next_publish_is_served()
    {
        await using var edge = await StartEdgeAsync("paused");
        var gen = await Publisher.PublishAsync(Documents.Sample());
        await Eventually.TrueAsync(() => edge.GenerationOf(Documents.AppId) == gen, "the publish");

        var server = redis.Mux.GetServer(redis.Mux.GetEndPoints()[0]);
        await server.ExecuteAsync("CLIENT", "PAUSE", "2000", "ALL");
        var statuses = new List<int>();
        for (var i = 0; i < 20; i++)
        {
            statuses.Add((await edge.CheckAsync(Documents.AndroidCheck())).Status);
        }

        Assert.All(statuses, static s => Assert.Equal(200, s));
        await Eventually.TrueAsync(
            async () =>
            {
                try
                {
                    return await Publisher.PublishAsync(Documents.Sample(betaBundle: "1.5.0")) > gen;
                }
                catch (RedisTimeoutException)
                {
                    return false;
                }
            },
            "a publish once the pause ends");
        await Eventually.TrueAsync(() => edge.GenerationOf(Documents.AppId) != gen, "the publish after the pause");
        var (_, body) = await edge.CheckAsync(Documents.AndroidCheck());
        Assert.Equal("1.5.0", body.GetProperty("version").GetString());
    }

    [Fact]
    public async Task An_edge_started_while_Redis_is_down_serves_its_last_known_good_snapshot_and_converges_when_Redis_returns()
    {
        var options = new TestEdgeOptions
        {
            Redis = $"127.0.0.1:{redis.Server.Port},abortConnect=false,connectTimeout=500",
            Name = "restarted",
            Prefix = _layout.Prefix,
            WaitReady = true,
            Admin = true,
        };
        var gen = await Publisher.PublishAsync(Documents.Sample());
        var ogen = await Publisher.SetOverrideAsync(Documents.AppId, PinnedA, "beta");
        await using (var first = await TestEdge.StartAsync(options))
        {
            await Eventually.TrueAsync(() => first.Store.Find(Documents.AppId)?.Overrides.Generation == ogen, "the first edge to hold the override");
        }

        // The first edge wrote its snapshot when it stopped; Redis goes away before the edge restarts.
        Assert.True(File.Exists(options.SnapshotPath), "the snapshot written at the stop");
        await redis.Server.KillAsync();
        await using var edge = await TestEdge.StartAsync(options);

        Assert.Equal(gen, edge.GenerationOf(Documents.AppId));
        Assert.True(edge.Store.Find(Documents.AppId)!.Overrides.TryGet(PinnedA, out var pinned));
        Assert.Equal("beta", pinned);
        var (status, body) = await edge.CheckAsync(Documents.AndroidCheck());
        Assert.Equal(200, status);
        Assert.Equal("1.6.0-beta.1", body.GetProperty("version").GetString());
        using (var ready = await edge.Http.GetAsync("/healthz/ready"))
        {
            Assert.Equal(200, (int)ready.StatusCode);
            Assert.Contains("degraded", await ready.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        var health = await AdminHealthAsync(edge);
        Assert.Contains("redis_unreachable", health, StringComparison.Ordinal);
        Assert.Contains("snapshotAgeSeconds", health, StringComparison.Ordinal);

        // Redis returns empty; the next publish replaces what the snapshot gave.
        await redis.RestartAsync();
        var next = await Publisher.PublishAsync(Documents.Sample(betaBundle: "1.5.0"));
        await Eventually.TrueAsync(() => edge.GenerationOf(Documents.AppId) == next, "the publish after Redis returned");
        (_, body) = await edge.CheckAsync(Documents.AndroidCheck());
        Assert.Equal("1.5.0", body.GetProperty("version").GetString());
    }

    [Theory]
    [InlineData("corrupt")]
    [InlineData("foreign")]
    public async Task A_corrupt_or_foreign_snapshot_is_ignored_and_the_edge_serves_nothing_rather_than_it(string kind)
    {
        var options = new TestEdgeOptions
        {
            Redis = $"127.0.0.1:{redis.Server.Port},abortConnect=false,connectTimeout=500",
            Name = "wary",
            Prefix = _layout.Prefix,
            WaitReady = true,
        };
        await Publisher.PublishAsync(Documents.Sample());
        await using (await TestEdge.StartAsync(options))
        {
        }

        var bytes = await File.ReadAllBytesAsync(options.SnapshotPath);
        if (kind == "corrupt")
        {
            bytes[bytes.Length / 2] ^= 0x40;
            await File.WriteAllBytesAsync(options.SnapshotPath, bytes);
        }

        // A foreign snapshot: the same file read by an edge of another prefix.
        var restart = kind == "foreign" ? options with { Prefix = "other:" + _layout.Prefix, WaitReady = false } : options with { WaitReady = false };
        await redis.Server.KillAsync();
        try
        {
            await using var edge = await TestEdge.StartAsync(restart);
            await Task.Delay(1500);

            Assert.False(edge.Store.IsLoaded);
            Assert.Null(edge.Store.Find(Documents.AppId));
            var (status, _) = await edge.CheckAsync(Documents.AndroidCheck());
            Assert.Equal(503, status);
        }
        finally
        {
            await redis.RestartAsync();
        }
    }
}

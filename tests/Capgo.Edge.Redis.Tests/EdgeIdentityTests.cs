using Capgo.Edge.Tests.Support;
using StackExchange.Redis;

namespace Capgo.Edge.Redis.Tests;

/// <summary>
/// An edge has one name (docs/events.md, docs/redis-layout.md): its heartbeat, its acknowledgements,
/// the <c>edge</c> field of its events and its Redis client name agree, whether or not
/// <c>Sync:EdgeName</c> is set.
/// </summary>
[Collection(SharedRedis.Name)]
public sealed class EdgeIdentityTests(RedisFixture redis)
{
    private readonly RedisLayout _layout = redis.NewLayout();

    [Fact]
    public async Task Without_a_configured_name_events_carry_the_name_of_the_heartbeat()
    {
        var gen = await redis.Publisher(_layout).PublishAsync(Documents.Sample());
        await using var edge = await TestEdge.StartAsync(new TestEdgeOptions { Redis = redis.ConnectionString, Prefix = _layout.Prefix, WaitReady = true });
        await Eventually.TrueAsync(() => edge.GenerationOf(Documents.AppId) == gen, "the edge to load the app");

        var (status, _) = await edge.CheckAsync(Documents.AndroidCheck());
        Assert.Equal(200, status);

        var db = redis.Mux.GetDatabase();
        StreamEntry[] entries = [];
        await Eventually.TrueAsync(async () => (entries = await db.StreamRangeAsync(_layout.Events)).Length > 0, "the check event in the stream");
        var eventEdge = entries[0]["edge"].ToString();

        var heartbeats = await db.SortedSetRangeByRankAsync(_layout.Edges);
        Assert.Equal([eventEdge], heartbeats.Select(static h => h.ToString()));
        Assert.True(await db.HashExistsAsync(_layout.EdgeApps(eventEdge), Documents.AppId), "the acknowledgement is filed under the same name");
        Assert.StartsWith($"{Environment.MachineName}-{Environment.ProcessId}-", eventEdge, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_edge_talks_to_Redis_over_one_connection_named_after_it()
    {
        await using var edge = await TestEdge.StartAsync(new TestEdgeOptions { Redis = redis.ConnectionString, Name = "one-connection", Prefix = _layout.Prefix, WaitReady = true });
        var (status, _) = await edge.CheckAsync(Documents.AndroidCheck());
        Assert.Equal(429, status);
        await redis.Publisher(_layout).PublishAsync(Documents.Sample());
        await Eventually.TrueAsync(() => edge.GenerationOf(Documents.AppId) > 0, "the edge to load the app");
        (status, _) = await edge.CheckAsync(Documents.AndroidCheck());
        Assert.Equal(200, status);
        await Eventually.TrueAsync(async () => await redis.Mux.GetDatabase().StreamLengthAsync(_layout.Events) > 0, "the check event in the stream");

        var server = redis.Mux.GetServer(redis.Mux.GetEndPoints()[0]);
        var names = (await server.ClientListAsync())
            .Select(static c => c.Name)
            .Where(static n => n?.Contains("one-connection", StringComparison.Ordinal) == true)
            .Distinct();

        // Sync, heartbeats, acknowledgements and events share the edge's one multiplexer.
        Assert.Equal(["capgo-edge:one-connection"], names);
    }
}

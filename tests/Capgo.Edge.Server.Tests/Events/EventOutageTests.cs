using System.Globalization;
using Capgo.Edge.Server.Events;
using Capgo.Edge.Server.Tests.Stats;
using Capgo.Edge.Tests.Support;
using StackExchange.Redis;
using static Capgo.Edge.Server.Tests.Stats.StatsBodies;

namespace Capgo.Edge.Server.Tests.Events;

/// <summary>
/// Device events across a Redis outage and across edge restarts (docs/events.md, "Path and
/// guarantees"): a real redis-server killed and started again on the same port, a real edge over HTTP.
/// </summary>
public sealed class EventOutageTests
{
    /// <summary>
    /// Long enough that a writer giving up after a few quick retries (4 from 250 ms, doubling, take
    /// under 2 s) drops the events before Redis returns.
    /// </summary>
    private static readonly TimeSpan Outage = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Events_accepted_while_Redis_is_down_reach_the_stream_in_order_once_it_is_back()
    {
        await using var redis = await RedisServer.StartAsync();
        await StatsSamples.PublishSamplesAsync(redis.ConnectionString);
        await using var edge = await TestEdge.StartAsync(StatsSamples.OnRedis(redis.ConnectionString, "--Events:MaxRetryDelay=00:00:01"));
        var events = edge.Events;

        // The writer is connected before the outage begins.
        Assert.Equal(200, (await edge.PostAsync(Event(NewDevice(), "ping"))).Status);
        await Eventually.TrueAsync(() => events.Written == 1, "the first event to be written");

        await redis.KillAsync();
        const int Posted = 20;
        var device = NewDevice();
        for (var i = 0; i < Posted; i++)
        {
            var (status, text, _) = await edge.PostAsync(Event(device, "ping").With("custom_id", Label(i)));
            Assert.True(status == 200, $"{status} {text}");
        }

        // The outage itself: nothing written, nothing given up.
        await Task.Delay(Outage);
        Assert.Equal(0, events.Dropped);
        Assert.Equal(1, events.Written);

        await redis.StartProcessAsync();
        await Eventually.TrueAsync(() => events.Written == 1 + Posted, $"the {Posted} held events to be written (written {events.Written}, dropped {events.Dropped})", TimeSpan.FromSeconds(60));

        // Redis came back empty: the stream holds exactly the events of the outage.
        await using var mux = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString);
        var entries = (await mux.GetDatabase().StreamRangeAsync(StatsFixture.StreamKey))
            .Select(static e => e.Values.ToDictionary(static v => v.Name.ToString(), static v => v.Value.ToString()))
            .ToList();
        Assert.Equal(Enumerable.Range(0, Posted).Select(Label), entries.Select(static e => e.GetValueOrDefault("custom_id")));
        Assert.All(entries, static e => Assert.Equal("2", e["v"]));
        Assert.Single(entries.Select(static e => (e["edge"], e["instance"])).Distinct());
        Assert.Equal(Posted, entries.Select(static e => (e["edge"], e["instance"], e["seq"])).Distinct().Count());
        var seqs = entries.Select(static e => long.Parse(e["seq"], CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(Enumerable.Range(2, Posted).Select(static s => (long)s), seqs);
        Assert.Equal(0, events.Dropped);
    }

    [Fact]
    public async Task Two_starts_of_an_edge_under_one_name_write_distinct_instance_ids()
    {
        await using var redis = await RedisServer.StartAsync();
        await StatsSamples.PublishSamplesAsync(redis.ConnectionString);
        var device = NewDevice();
        for (var start = 0; start < 2; start++)
        {
            await using var edge = await TestEdge.StartAsync(StatsSamples.OnRedis(redis.ConnectionString));
            Assert.Equal(200, (await edge.PostAsync(Event(device, "ping").With("custom_id", Label(start)))).Status);
            await edge.StopAsync();
            Assert.Equal(1, edge.Events.Written);
        }

        await using var mux = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString);
        var entries = (await mux.GetDatabase().StreamRangeAsync(StatsFixture.StreamKey))
            .Select(static e => e.Values.ToDictionary(static v => v.Name.ToString(), static v => v.Value.ToString()))
            .ToList();
        Assert.Equal([Label(0), Label(1)], entries.Select(static e => e.GetValueOrDefault("custom_id")));

        // Same name, both first of their process: only the instance tells them apart.
        Assert.All(entries, static e => Assert.Equal(("stats-edge", "1"), (e["edge"], e["seq"])));
        var instances = entries.Select(static e => e.GetValueOrDefault("instance")).ToList();
        Assert.All(instances, static i => Assert.Matches("^[0-9a-f]{12}$", i));
        Assert.NotEqual(instances[0], instances[1]);
    }

    [Fact]
    public async Task Events_still_held_when_the_flush_deadline_passes_are_dropped_as_shutdown()
    {
        await using var redis = await RedisServer.StartAsync();
        await StatsSamples.PublishSamplesAsync(redis.ConnectionString);
        await using var edge = await TestEdge.StartAsync(StatsSamples.OnRedis(redis.ConnectionString, "--Events:FlushTimeout=00:00:00.500"));
        var events = edge.Events;
        Assert.Equal(200, (await edge.PostAsync(Event(NewDevice(), "ping"))).Status);
        await Eventually.TrueAsync(() => events.Written == 1, "the first event to be written");

        await redis.KillAsync();
        var device = NewDevice();
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(200, (await edge.PostAsync(Event(device, "ping"))).Status);
        }

        await edge.StopAsync();
        Assert.Equal((1, 3, 3), (events.Written, events.Dropped, events.DroppedBy(DropReason.Shutdown)));
    }

    private static string Label(int i) => "event-" + i.ToString("00", CultureInfo.InvariantCulture);
}

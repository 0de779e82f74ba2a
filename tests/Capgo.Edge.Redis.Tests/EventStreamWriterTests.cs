using Capgo.Edge.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;

namespace Capgo.Edge.Redis.Tests;

/// <summary>The event stream writer on its own: every entry is written or counted as dropped.</summary>
[Collection(SharedRedis.Name)]
public sealed class EventStreamWriterTests(RedisFixture redis)
{
    private static readonly EventStreamLimits Limits = new(MaxStreamLength: 1000, MaxAttempts: 3, RetryDelay: TimeSpan.FromMilliseconds(1), WriteTimeout: TimeSpan.FromSeconds(2));

    private sealed class Tally : IEventTally
    {
        public int Written { get; private set; }
        public int Failed { get; private set; }
        public int Shutdown { get; private set; }

        void IEventTally.Written(int count) => Written += count;

        void IEventTally.Dropped(int count, bool shutdown)
        {
            if (shutdown)
            {
                Shutdown += count;
            }
            else
            {
                Failed += count;
            }
        }
    }

    private static EventStreamWriter Writer(RedisConnections connections, RedisLayout layout, EdgeIdentity identity) =>
        new(connections, layout, identity, TimeProvider.System, NullLogger<EventStreamWriter>.Instance);

    private static NameValueEntry[] Entry(int seq) => [new("v", "1"), new("seq", seq)];

    [Fact]
    public async Task A_batch_lands_in_the_prefixed_stream_in_order()
    {
        var layout = redis.NewLayout();
        var identity = new EdgeIdentity("writer");
        await using var connections = new RedisConnections(redis.ConnectionString, null, identity);
        var writer = Writer(connections, layout, identity);
        var db = await writer.ConnectAsync();
        Assert.NotNull(db);

        var tally = new Tally();
        await writer.WriteAsync(db, [Entry(1), Entry(2), Entry(3)], Limits, tally, CancellationToken.None);

        Assert.Equal((3, 0, 0), (tally.Written, tally.Failed, tally.Shutdown));
        var entries = await redis.Mux.GetDatabase().StreamRangeAsync(layout.Events);
        Assert.Equal(["1", "2", "3"], entries.Select(static e => e["seq"].ToString()));
    }

    [Fact]
    public async Task Against_an_absent_Redis_a_batch_is_retried_then_counted_as_dropped()
    {
        var identity = new EdgeIdentity("no-redis");
        await using var connections = new RedisConnections($"127.0.0.1:{RedisServer.FreePort()},abortConnect=false,connectTimeout=200", null, identity);
        var writer = Writer(connections, redis.NewLayout(), identity);
        var db = await writer.ConnectAsync();
        Assert.NotNull(db);

        var tally = new Tally();
        await writer.WriteAsync(db, [Entry(1), Entry(2)], Limits, tally, CancellationToken.None);

        Assert.Equal((0, 2, 0), (tally.Written, tally.Failed, tally.Shutdown));
    }

    [Fact]
    public async Task A_malformed_connection_string_is_reported_and_leaves_no_database()
    {
        var identity = new EdgeIdentity("bad-config");
        await using var connections = new RedisConnections("127.0.0.1:6379,nosuchoption=1", null, identity);
        Assert.Null(await Writer(connections, redis.NewLayout(), identity).ConnectAsync());
    }
}

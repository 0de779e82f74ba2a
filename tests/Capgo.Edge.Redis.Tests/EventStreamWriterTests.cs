using Capgo.Edge.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;

namespace Capgo.Edge.Redis.Tests;

/// <summary>The event stream writer on its own: a batch is confirmed whole, or retried until the deadline.</summary>
[Collection(SharedRedis.Name)]
public sealed class EventStreamWriterTests(RedisFixture redis)
{
    private static readonly EventStreamLimits Limits = new(MaxStreamLength: 1000, RetryDelay: TimeSpan.FromMilliseconds(1), MaxRetryDelay: TimeSpan.FromMilliseconds(50), WriteTimeout: TimeSpan.FromSeconds(2));

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

        Assert.Equal(3, await writer.WriteAsync(db, [Entry(1), Entry(2), Entry(3)], Limits, CancellationToken.None));
        var entries = await redis.Mux.GetDatabase().StreamRangeAsync(layout.Events);
        Assert.Equal(["1", "2", "3"], entries.Select(static e => e["seq"].ToString()));
    }

    [Fact]
    public async Task Against_an_absent_Redis_a_batch_is_retried_until_the_deadline_and_nothing_is_confirmed()
    {
        var identity = new EdgeIdentity("no-redis");
        await using var connections = new RedisConnections($"127.0.0.1:{RedisServer.FreePort()},abortConnect=false,connectTimeout=200", null, identity);
        var writer = Writer(connections, redis.NewLayout(), identity);
        var db = await writer.ConnectAsync();
        Assert.NotNull(db);

        using var deadline = new CancellationTokenSource(TimeSpan.FromMilliseconds(500));
        Assert.Equal(0, await writer.WriteAsync(db, [Entry(1), Entry(2)], Limits, deadline.Token));
        Assert.True(deadline.IsCancellationRequested, "the writer gave up before its deadline");
    }

    [Fact]
    public async Task A_malformed_connection_string_is_reported_and_leaves_no_database()
    {
        var identity = new EdgeIdentity("bad-config");
        await using var connections = new RedisConnections("127.0.0.1:6379,nosuchoption=1", null, identity);
        Assert.Null(await Writer(connections, redis.NewLayout(), identity).ConnectAsync());
    }
}

namespace Capgo.Edge.Redis.Tests;

/// <summary>One multiplexer per credential: the publisher's falls back to the edge's.</summary>
[Collection(SharedRedis.Name)]
public sealed class RedisConnectionsTests(RedisFixture redis)
{
    [Fact]
    public async Task Without_publisher_credentials_overrides_share_the_edge_s_connection()
    {
        await using var connections = new RedisConnections(redis.ConnectionString, publisherConnection: null, new EdgeIdentity("shared"));
        Assert.True(connections.HasPublisher);
        Assert.Same(await connections.EdgeAsync(), await connections.PublisherAsync());
        Assert.Same(await connections.EdgeAsync(), await connections.EdgeAsync());
    }

    [Fact]
    public async Task Publisher_credentials_get_a_connection_of_their_own()
    {
        await using var connections = new RedisConnections(redis.ConnectionString, redis.ConnectionString + ",name=publisher", new EdgeIdentity("split"));
        Assert.NotSame(await connections.EdgeAsync(), await connections.PublisherAsync());
        Assert.Same(await connections.PublisherAsync(), await connections.PublisherAsync());
    }

    [Fact]
    public async Task Standalone_has_no_edge_connection_and_says_so_when_asked_for_one()
    {
        await using var connections = new RedisConnections(edgeConnection: null, publisherConnection: null, new EdgeIdentity("alone"));
        Assert.False(connections.HasEdge);
        Assert.False(connections.HasPublisher);
        await Assert.ThrowsAsync<InvalidOperationException>(connections.EdgeAsync);
    }
}

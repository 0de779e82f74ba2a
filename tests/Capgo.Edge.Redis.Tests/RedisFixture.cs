using Capgo.Edge.ControlPlane;
using Capgo.Edge.Tests.Support;
using StackExchange.Redis;

namespace Capgo.Edge.Redis.Tests;

/// <summary>
/// One real redis-server for every test of the Redis layer. The tests of the collection run one at a
/// time, each under a key prefix of its own, so nothing one publishes is seen by another; the tests
/// that stop Redis restart this same server. Fails loudly when redis-server is missing.
/// </summary>
public sealed class RedisFixture : IAsyncLifetime
{
    private int _prefixes;

    public RedisServer Server { get; private set; } = null!;

    /// <summary>A client with every right (the default user, admin commands allowed).</summary>
    public ConnectionMultiplexer Mux { get; private set; } = null!;

    public string ConnectionString => Server.ConnectionString;

    public async Task InitializeAsync()
    {
        Server = await RedisServer.StartAsync();
        Mux = await ConnectionMultiplexer.ConnectAsync(Server.ConnectionString + ",allowAdmin=true");
    }

    public async Task DisposeAsync()
    {
        await Mux.DisposeAsync();
        await Server.DisposeAsync();
    }

    /// <summary>A key layout no other test uses.</summary>
    public RedisLayout NewLayout() => new($"t{Interlocked.Increment(ref _prefixes)}:capgo:edge:");

    public ProjectionPublisher Publisher(RedisLayout layout) => new(Mux, layout);

    /// <summary>Starts the killed server again (empty) on its port, and waits until <see cref="Mux"/> is back.</summary>
    public async Task RestartAsync()
    {
        await Server.StartProcessAsync();
        await Eventually.TrueAsync(
            async () =>
            {
                try
                {
                    await Mux.GetDatabase().PingAsync();
                    return true;
                }
                catch (RedisException)
                {
                    return false;
                }
            },
            "the test client to reconnect to the restarted Redis");
    }
}

/// <summary>The tests that share <see cref="RedisFixture"/>.</summary>
[CollectionDefinition(Name)]
public sealed class SharedRedis : ICollectionFixture<RedisFixture>
{
    public const string Name = "redis";
}

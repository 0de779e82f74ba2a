using Capgo.Edge.Redis;
using Capgo.Edge.Tests.Support;
using StackExchange.Redis;

namespace Capgo.Edge.ControlPlane.Tests;

/// <summary>
/// One real redis-server for the publisher library's tests. Each test class instance (so each test)
/// works under a key prefix of its own through <see cref="Publisher"/>, so no test sees another's apps.
/// </summary>
public sealed class PublisherRedis : IAsyncLifetime
{
    private int _prefixes;

    public RedisServer Server { get; private set; } = null!;

    public ConnectionMultiplexer Mux { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Server = await RedisServer.StartAsync();
        Mux = await ConnectionMultiplexer.ConnectAsync(Server.ConnectionString);
    }

    public async Task DisposeAsync()
    {
        await Mux.DisposeAsync();
        await Server.DisposeAsync();
    }

    /// <summary>The publisher library on a key prefix no other test uses.</summary>
    public PublisherLibrary Publisher()
    {
        var layout = new RedisLayout($"p{Interlocked.Increment(ref _prefixes)}:capgo:edge:");
        var store = new ControlPlane.Stores.RedisAppStore(Mux, layout);
        var changes = new AppChanges(store);
        var history = new ChannelHistory(store);
        return new PublisherLibrary(layout, store.Publisher, changes, history, new Capgo.Edge.ControlPlane.Releases.ReleaseOperations(changes, history));
    }
}

/// <summary>The publisher library's parts on one key layout.</summary>
public sealed record PublisherLibrary(RedisLayout Layout, ProjectionPublisher Publisher, AppChanges Changes, ChannelHistory History, Capgo.Edge.ControlPlane.Releases.ReleaseOperations Releases);

[CollectionDefinition(Name)]
public sealed class SharedPublisherRedis : ICollectionFixture<PublisherRedis>
{
    public const string Name = "publisher redis";
}

using StackExchange.Redis;

namespace Capgo.Edge.Redis;

/// <summary>
/// One multiplexer per credential, shared by everything in the process that uses it: the edge's own
/// (<c>ConnectionStrings:Redis</c>: sync, presence, events) and the publisher's
/// (<c>ConnectionStrings:RedisPublisher</c>, else the edge's: <c>/channel_self</c> override writes).
/// Each connects on first use and never aborts on a failed connect: it keeps retrying in the background.
/// </summary>
public sealed class RedisConnections : IAsyncDisposable
{
    private readonly Lazy<Task<IConnectionMultiplexer>>? _edge;
    private readonly Lazy<Task<IConnectionMultiplexer>>? _publisher;

    public RedisConnections(string? edgeConnection, string? publisherConnection, EdgeIdentity identity)
    {
        ArgumentNullException.ThrowIfNull(identity);
        if (!string.IsNullOrWhiteSpace(edgeConnection))
        {
            _edge = Connect(edgeConnection, "capgo-edge:" + identity.Name);
            EdgeEndpoints = EndpointsOf(edgeConnection);
        }

        _publisher = string.IsNullOrWhiteSpace(publisherConnection) || publisherConnection == edgeConnection
            ? _edge
            : Connect(publisherConnection, "capgo-edge-publisher:" + identity.Name);
    }

    /// <summary>The edge's Redis endpoints, as configured (never the credentials): what names this Redis.</summary>
    public string EdgeEndpoints { get; } = "";

    /// <summary>Redis mode: <c>ConnectionStrings:Redis</c> is set.</summary>
    public bool HasEdge => _edge is not null;

    /// <summary>Overrides can go through the publisher path.</summary>
    public bool HasPublisher => _publisher is not null;

    /// <summary>The edge's connection (its read-mostly user).</summary>
    public Task<IConnectionMultiplexer> EdgeAsync() =>
        (_edge ?? throw new InvalidOperationException("ConnectionStrings:Redis is not set")).Value;

    /// <summary>The publisher's connection; the edge's when no publisher credentials are configured.</summary>
    public Task<IConnectionMultiplexer> PublisherAsync() =>
        (_publisher ?? throw new InvalidOperationException("neither ConnectionStrings:RedisPublisher nor ConnectionStrings:Redis is set")).Value;

    /// <summary>The endpoints of a connection string; empty when it does not parse (connecting reports that).</summary>
    private static string EndpointsOf(string connection)
    {
        try
        {
            return string.Join(',', ConfigurationOptions.Parse(connection).EndPoints.Select(static e => e.ToString()));
        }
        catch (ArgumentException)
        {
            return "";
        }
    }

    private static Lazy<Task<IConnectionMultiplexer>> Connect(string connection, string clientName) => new(async () =>
    {
        var config = ConfigurationOptions.Parse(connection);
        config.AbortOnConnectFail = false;

        // Every user retries on its own terms (the sync loop reconciles, the event writer holds its
        // batch and retries it with a capped backoff, an override write answers 503), so while Redis
        // is away a command fails at once rather than queueing inside the client.
        config.BacklogPolicy = BacklogPolicy.FailFast;
        config.ClientName ??= clientName;
        return await ConnectionMultiplexer.ConnectAsync(config).ConfigureAwait(false);
    });

    public async ValueTask DisposeAsync()
    {
        foreach (var lazy in new[] { _edge, _publisher }.Distinct())
        {
            if (lazy is { IsValueCreated: true } && lazy.Value.IsCompletedSuccessfully)
            {
                await lazy.Value.Result.DisposeAsync().ConfigureAwait(false);
            }
        }
    }
}

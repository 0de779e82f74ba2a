using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Capgo.Edge.Redis;

/// <summary>
/// On Redis Cluster, stops the process (exit code 1) when the prefix has no hash tag: the projection's
/// scripts touch many keys at once, which Cluster allows only within one slot. It also logs which
/// master holds each event shard, and warns when two shards share one (event intake then does not
/// grow with the masters). It checks once the connection is up, without holding up the start: an
/// edge starts and serves its snapshot while Redis is away.
/// </summary>
public sealed partial class ClusterLayoutGuard(
    Func<Task<IConnectionMultiplexer>>? connect, RedisLayout layout, IHostApplicationLifetime lifetime, ILogger<ClusterLayoutGuard> logger) : IHostedService
{
    private int _checked;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (connect is not null)
        {
            _ = Task.Run(WatchAsync, CancellationToken.None);
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>
    /// Why <paramref name="layout"/> cannot work on the Redis behind <paramref name="redis"/>, or null when
    /// it can (always, on a single node). The CLI and the control-plane service call it after connecting.
    /// </summary>
    public static string? Refusal(IConnectionMultiplexer redis, RedisLayout layout)
    {
        ArgumentNullException.ThrowIfNull(redis);
        ArgumentNullException.ThrowIfNull(layout);
        return IsCluster(redis) && !layout.HasHashTag
            ? $"Redis is a cluster and Sync:Prefix '{layout.Prefix}' has no hash tag: the projection's keys must share one slot; give the prefix one, e.g. '{{capgo}}:'"
            : null;
    }

    private static bool IsCluster(IConnectionMultiplexer redis) =>
        redis.GetServers().Any(static s => s.IsConnected && s.ServerType == ServerType.Cluster);

    private async Task WatchAsync()
    {
        try
        {
            var redis = await connect!().ConfigureAwait(false);
            redis.ConnectionRestored += (_, _) => Check(redis);
            Check(redis);
        }
        catch (Exception ex) when (ex is RedisException or ArgumentException)
        {
            // The connection's own users report it.
        }
    }

    private void Check(IConnectionMultiplexer redis)
    {
        if (!redis.GetServers().Any(static s => s.IsConnected) || Interlocked.Exchange(ref _checked, 1) == 1)
        {
            return;
        }

        if (Refusal(redis, layout) is { } refusal)
        {
            LogRefused(logger, refusal);
            Environment.ExitCode = 1;

            // Once started (at once if it is): a stop requested while the host starts cancels the start
            // with an exception instead of stopping it.
            lifetime.ApplicationStarted.Register(lifetime.StopApplication);
            return;
        }

        if (!IsCluster(redis))
        {
            return;
        }

        var masters = new HashSet<string>(StringComparer.Ordinal);
        foreach (var shard in layout.EventShards)
        {
            var master = redis.GetServer(shard.Events).EndPoint.ToString() ?? "";
            masters.Add(master);
            LogShard(logger, shard.Index, shard.Events, shard.Slot, master);
        }

        if (masters.Count < layout.EventShards.Count)
        {
            LogSharedMasters(logger, layout.EventShards.Count, masters.Count);
        }
    }

    [LoggerMessage(EventId = 1301, Level = LogLevel.Critical, Message = "Refusing to run: {Refusal}")]
    private static partial void LogRefused(ILogger logger, string refusal);

    [LoggerMessage(EventId = 1302, Level = LogLevel.Information, Message = "Event shard {Shard}: stream {Stream}, slot {Slot}, on master {Master}")]
    private static partial void LogShard(ILogger logger, int shard, RedisKey stream, int slot, string master);

    [LoggerMessage(EventId = 1303, Level = LogLevel.Warning, Message = "The {Shards} event shards live on {Masters} masters only: event intake grows with the masters the shards land on (docs/events.md)")]
    private static partial void LogSharedMasters(ILogger logger, int shards, int masters);
}

using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Capgo.Edge.Redis;

/// <summary>
/// Appends device events to the Redis stream <c>P events</c> (docs/events.md), or with several event
/// shards to the stream of each event's device shard (<see cref="RedisLayout.ShardOf"/>), on the edge's
/// shared connection: one pipelined round trip per batch, trimmed with an approximate <c>MAXLEN</c>. A batch
/// is sent until Redis has confirmed all of it, however long Redis is away, each time from its first
/// unconfirmed entry, so nothing of it lands after what follows it. Entries arrive already in the
/// stream's format, since the event type is the server's.
/// </summary>
public sealed partial class EventStreamWriter
{
    /// <summary>While writes keep failing, the warning is repeated at most this often.</summary>
    private static readonly TimeSpan WarnEvery = TimeSpan.FromMinutes(1);

    private readonly RedisConnections _connections;
    private readonly RedisLayout _layout;
    private readonly EdgeIdentity _identity;
    private readonly TimeProvider _time;
    private readonly ILogger<EventStreamWriter> _logger;
    private readonly string _streamName;

    public EventStreamWriter(RedisConnections connections, RedisLayout layout, EdgeIdentity identity, TimeProvider time, ILogger<EventStreamWriter> logger)
    {
        _connections = connections;
        _layout = layout;
        _identity = identity;
        _time = time;
        _logger = logger;
        _streamName = string.Join(", ", layout.EventShards.Select(static s => s.Events.ToString()));
    }

    /// <summary>The <c>edge</c> field of every entry: the name the heartbeats carry.</summary>
    public string EdgeName => _identity.Name;

    /// <summary>The <c>instance</c> field of every entry: this process start.</summary>
    public string EdgeInstance => _identity.Instance;

    /// <summary>The edge's database, or null (logged) when the connection cannot be set up at all.</summary>
    public async Task<IDatabase?> ConnectAsync()
    {
        try
        {
            var redis = await _connections.EdgeAsync().ConfigureAwait(false);
            LogStarted(_logger, _streamName, _identity.Name, _identity.Instance);
            return redis.GetDatabase();
        }
        catch (Exception ex) when (ex is ArgumentException or RedisException)
        {
            LogConnectFailed(_logger, ex.Message);
            return null;
        }
    }

    /// <summary>
    /// Writes <paramref name="batch"/> in order and returns how many of its entries, from the first,
    /// Redis confirmed: all of them, unless <paramref name="deadline"/> (the shutdown flush's) ends the
    /// retries first. After a failure it waits <see cref="EventStreamLimits.RetryDelay"/>, doubling up to
    /// <see cref="EventStreamLimits.MaxRetryDelay"/>, and sends again from the first unconfirmed entry.
    /// </summary>
    public async Task<int> WriteAsync(IDatabase db, IReadOnlyList<NameValueEntry[]> batch, EventStreamLimits limits, CancellationToken deadline)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(limits);
        var confirmed = 0;
        var delay = limits.RetryDelay;
        var failures = 0;
        long failingSince = 0;
        long warned = 0;
        while (true)
        {
            var (sent, error) = await SendAsync(db, batch, confirmed, limits, deadline).ConfigureAwait(false);
            confirmed += sent;
            if (confirmed == batch.Count)
            {
                if (failures > 0)
                {
                    var seconds = _time.GetElapsedTime(failingSince).TotalSeconds;
                    LogRecovered(_logger, failures, seconds);
                }

                return confirmed;
            }

            var now = _time.GetTimestamp();
            if (failures++ == 0)
            {
                failingSince = warned = now;
                LogWriteFailed(_logger, batch.Count - confirmed, 0, error);
            }
            else if (_time.GetElapsedTime(warned, now) >= WarnEvery)
            {
                warned = now;
                var seconds = _time.GetElapsedTime(failingSince, now).TotalSeconds;
                LogWriteFailed(_logger, batch.Count - confirmed, seconds, error);
            }

            try
            {
                await Task.Delay(delay, _time, deadline).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return confirmed;
            }

            delay = delay * 2 < limits.MaxRetryDelay ? delay * 2 : limits.MaxRetryDelay;
        }
    }

    /// <summary>
    /// One pipelined attempt at the entries from <paramref name="from"/>: how many of them in a row
    /// Redis confirmed, and why the next one failed.
    /// </summary>
    private async Task<(int Confirmed, string Error)> SendAsync(IDatabase db, IReadOnlyList<NameValueEntry[]> batch, int from, EventStreamLimits limits, CancellationToken deadline)
    {
        // The multiplexer pipelines these calls on one connection, in order, without waiting for
        // each reply. While the connection is down each one fails at once (BacklogPolicy.FailFast).
        var tasks = new Task<RedisValue>[batch.Count - from];
        for (var i = 0; i < tasks.Length; i++)
        {
            try
            {
                tasks[i] = db.StreamAddAsync(StreamOf(batch[from + i]), batch[from + i], messageId: null, maxLength: limits.MaxStreamLength, useApproximateMaxLength: true);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // Whatever the client throws, the batch is retried rather than lost.
                tasks[i] = Task.FromException<RedisValue>(ex);
            }
        }

        // Whatever the client does while Redis is away, an attempt never waits longer than this; an
        // entry still unanswered counts as failed and is sent again (it may land twice: at least once).
        await ((Task)Task.WhenAll(tasks)).WaitAsync(limits.WriteTimeout, _time, deadline).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        for (var i = 0; i < tasks.Length; i++)
        {
            if (!tasks[i].IsCompletedSuccessfully)
            {
                var error = tasks[i].IsFaulted ? tasks[i].Exception!.GetBaseException().Message : $"no reply from Redis within {limits.WriteTimeout}";
                return (i, error);
            }
        }

        return (tasks.Length, string.Empty);
    }

    /// <summary>The stream of the entry's device shard; the first when the entry names no device.</summary>
    private RedisKey StreamOf(NameValueEntry[] entry)
    {
        if (_layout.EventShards.Count > 1)
        {
            foreach (var field in entry)
            {
                if (field.Name == DeviceIdField)
                {
                    return _layout.ShardOf(field.Value.ToString()).Events;
                }
            }
        }

        return _layout.EventShards[0].Events;
    }

    private static readonly RedisValue DeviceIdField = "device_id";

    [LoggerMessage(EventId = 1202, Level = LogLevel.Information, Message = "Device events go to Redis stream {Stream} as edge {EdgeName}, instance {Instance}")]
    private static partial void LogStarted(ILogger logger, string stream, string edgeName, string instance);

    [LoggerMessage(EventId = 1203, Level = LogLevel.Warning, Message = "Writing {Count} device events to Redis fails ({Seconds:0} s so far): {Error}; they and the events behind them wait in the queue and are retried in order")]
    private static partial void LogWriteFailed(ILogger logger, int count, double seconds, string error);

    [LoggerMessage(EventId = 1206, Level = LogLevel.Information, Message = "Device events reach Redis again after {Failures} failed attempts over {Seconds:0.0} s")]
    private static partial void LogRecovered(ILogger logger, int failures, double seconds);

    [LoggerMessage(EventId = 1208, Level = LogLevel.Error, Message = "Cannot set up the Redis connection for device events: {Error}; events will be counted as dropped")]
    private static partial void LogConnectFailed(ILogger logger, string error);
}

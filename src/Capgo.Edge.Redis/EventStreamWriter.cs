using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Capgo.Edge.Redis;

/// <summary>
/// Appends device events to the Redis stream <c>P events</c> (docs/events.md) on the edge's shared
/// connection: one pipelined round trip per batch, trimmed with an approximate <c>MAXLEN</c>, failed
/// entries retried a bounded number of times. Entries arrive already in the stream's format, since the
/// event type is the server's.
/// </summary>
public sealed partial class EventStreamWriter
{
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
        _streamName = layout.Events.ToString();
    }

    /// <summary>The <c>edge</c> field of every entry: the name the heartbeats carry.</summary>
    public string EdgeName => _identity.Name;

    /// <summary>The edge's database, or null (logged) when the connection cannot be set up at all.</summary>
    public async Task<IDatabase?> ConnectAsync()
    {
        try
        {
            var redis = await _connections.EdgeAsync().ConfigureAwait(false);
            LogStarted(_logger, _streamName, _identity.Name);
            return redis.GetDatabase();
        }
        catch (Exception ex) when (ex is ArgumentException or RedisException)
        {
            LogConnectFailed(_logger, ex.Message);
            return null;
        }
    }

    /// <summary>
    /// Sends a batch in one pipeline and retries only the entries that failed, with a doubling delay,
    /// at most <see cref="EventStreamLimits.MaxAttempts"/> times. Every entry ends up in the tally.
    /// </summary>
    public async Task WriteAsync(IDatabase db, IReadOnlyList<NameValueEntry[]> batch, EventStreamLimits limits, IEventTally tally, CancellationToken deadline)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(limits);
        ArgumentNullException.ThrowIfNull(tally);
        var pending = batch;
        var delay = limits.RetryDelay;
        for (var attempt = 1; ; attempt++)
        {
            // The multiplexer pipelines these calls on one connection, in order, without waiting
            // for each reply.
            var tasks = new Task<RedisValue>[pending.Count];
            for (var i = 0; i < pending.Count; i++)
            {
                try
                {
                    tasks[i] = db.StreamAddAsync(_layout.Events, pending[i], messageId: null, maxLength: limits.MaxStreamLength, useApproximateMaxLength: true);
                }
                catch (Exception ex) when (ex is RedisException or TimeoutException)
                {
                    tasks[i] = Task.FromException<RedisValue>(ex);
                }
            }

            // Whatever the client does while Redis is away, a batch never waits longer than this;
            // an entry still unanswered counts as failed (it may yet land: delivery is at least once).
            await ((Task)Task.WhenAll(tasks)).WaitAsync(limits.WriteTimeout, _time, deadline).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);

            List<NameValueEntry[]>? failed = null;
            Exception? error = null;
            for (var i = 0; i < tasks.Length; i++)
            {
                if (!tasks[i].IsCompletedSuccessfully)
                {
                    (failed ??= []).Add(pending[i]);
                    error ??= tasks[i].Exception?.GetBaseException() ?? new TimeoutException($"no reply from Redis within {limits.WriteTimeout}");
                }
            }

            tally.Written(pending.Count - (failed?.Count ?? 0));
            if (failed is null)
            {
                return;
            }

            var reason = error?.Message ?? "cancelled";
            if (attempt >= limits.MaxAttempts)
            {
                tally.Dropped(failed.Count, shutdown: false);
                LogBatchDropped(_logger, failed.Count, attempt, reason);
                return;
            }

            LogBatchRetry(_logger, failed.Count, attempt, reason);
            try
            {
                await Task.Delay(delay, _time, deadline).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                tally.Dropped(failed.Count, shutdown: true);
                return;
            }

            delay *= 2;
            pending = failed;
        }
    }

    /// <summary>Logs a batch lost to an unexpected error; the caller counts it.</summary>
    public void ReportLost(int count, string error) => LogBatchDropped(_logger, count, 0, error);

    [LoggerMessage(EventId = 1202, Level = LogLevel.Information, Message = "Device events go to Redis stream {Stream} as edge {EdgeName}")]
    private static partial void LogStarted(ILogger logger, string stream, string edgeName);

    [LoggerMessage(EventId = 1203, Level = LogLevel.Warning, Message = "Writing {Count} device events failed (attempt {Attempt}): {Error}; retrying")]
    private static partial void LogBatchRetry(ILogger logger, int count, int attempt, string error);

    [LoggerMessage(EventId = 1204, Level = LogLevel.Error, Message = "Dropped {Count} device events after {Attempts} attempts: {Error}")]
    private static partial void LogBatchDropped(ILogger logger, int count, int attempts, string error);

    [LoggerMessage(EventId = 1208, Level = LogLevel.Error, Message = "Cannot set up the Redis connection for device events: {Error}; events will be counted as dropped")]
    private static partial void LogConnectFailed(ILogger logger, string error);
}

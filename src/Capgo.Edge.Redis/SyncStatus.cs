using Microsoft.Extensions.Logging;

namespace Capgo.Edge.Redis;

/// <summary>
/// What the sync tells <see cref="ISyncHealth"/>: degraded with a reason code (logged, with the
/// exception behind it, once per new reason), healthy again, or in touch with Redis just now.
/// </summary>
internal sealed partial class SyncStatus
{
    private readonly ISyncHealth _health;
    private readonly TimeProvider _time;
    private readonly ILogger<SyncStatus> _logger;

    public SyncStatus(ISyncHealth health, TimeProvider time, ILogger<SyncStatus> logger)
    {
        _health = health;
        _time = time;
        _logger = logger;
        _health.Mode = "redis";
        _health.Problem = SyncReasons.RedisConnecting;
    }

/// <summary>The edge serves the last-known-good snapshot written then, until Redis answers a reconcile.</summary>
    public void ServingSnapshot(DateTimeOffset written)
    {
        _health.SnapshotWrittenUnixMs = written.ToUnixTimeMilliseconds();
        Degraded(SyncReasons.RedisUnreachable);
    }

    /// <param name="reason">One of <see cref="SyncReasons"/>: what health shows.</param>
    /// <param name="exception">What went wrong, for the log only: its text can name hosts and ports.</param>
    public void Degraded(string reason, Exception? exception = null)
    {
        if (_health.Problem != reason)
        {
            LogDegraded(_logger, reason, exception);
        }

        _health.Problem = reason;
    }

    /// <summary>A reconcile went through: nothing is wrong any more.</summary>
    public void Healthy()
    {
        _health.SnapshotWrittenUnixMs = 0;
        _health.Problem = null;
        Synced();
    }

    /// <summary>Redis answered the sync.</summary>
    public void Synced() => _health.LastSyncUnixMs = _time.GetUtcNow().ToUnixTimeMilliseconds();

    [LoggerMessage(EventId = 1104, Level = LogLevel.Warning, Message = "Projection sync degraded: {Reason}")]
    private static partial void LogDegraded(ILogger logger, string reason, Exception? exception);
}

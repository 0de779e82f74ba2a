using Microsoft.Extensions.Logging;

namespace Capgo.Edge.Redis;

/// <summary>
/// What the sync tells <see cref="ISyncHealth"/>: degraded with a reason (logged once per new reason),
/// healthy again, or in touch with Redis just now.
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
        _health.Problem = "connecting to Redis";
    }

    private DateTimeOffset? _servingSnapshot;

    /// <summary>The edge serves the last-known-good snapshot written then, until Redis answers a reconcile.</summary>
    public void ServingSnapshot(DateTimeOffset written)
    {
        _servingSnapshot = written;
        Degraded("Redis unreachable at start");
    }

    public void Degraded(string problem)
    {
        if (_servingSnapshot is { } written)
        {
            problem += $"; serving the last-known-good snapshot written {written:u}";
        }

        if (_health.Problem != problem)
        {
            LogDegraded(_logger, problem);
        }

        _health.Problem = problem;
    }

    /// <summary>A reconcile went through: nothing is wrong any more.</summary>
    public void Healthy()
    {
        _servingSnapshot = null;
        _health.Problem = null;
        Synced();
    }

    /// <summary>Redis answered the sync.</summary>
    public void Synced() => _health.LastSyncUnixMs = _time.GetUtcNow().ToUnixTimeMilliseconds();

    [LoggerMessage(EventId = 1104, Level = LogLevel.Warning, Message = "Projection sync degraded: {Problem}")]
    private static partial void LogDegraded(ILogger logger, string problem);
}

namespace Capgo.Edge.Redis;

/// <summary>
/// Why the sync is degraded, as <see cref="ISyncHealth.Problem"/> carries it: stable words an operator
/// or an alert can match. The exception behind one goes to the log, never into health text.
/// </summary>
public static class SyncReasons
{
    /// <summary>The edge has not reached Redis yet.</summary>
    public const string RedisConnecting = "redis_connecting";

    /// <summary>Redis refused or timed out a connection or a read; the last projection held is served.</summary>
    public const string RedisUnreachable = "redis_unreachable";

    /// <summary>The connection to Redis dropped; the last projection held is served until it returns.</summary>
    public const string RedisConnectionLost = "redis_connection_lost";

    /// <summary>A command applying an announcement failed; the next reconcile retries it.</summary>
    public const string RedisError = "redis_error";

    /// <summary>A sync step failed on something other than Redis (a defect, logged with its stack); the next reconcile retries.</summary>
    public const string SyncStepFailed = "sync_step_failed";
}

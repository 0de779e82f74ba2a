namespace Capgo.Edge.Redis;

/// <summary>
/// Where the sync reports its state for <c>/healthz/ready</c> and metrics. The server's health object
/// implements it, so standalone and Redis mode report through the same object and the Redis layer
/// needs nothing of the server.
/// </summary>
public interface ISyncHealth
{
    /// <summary><c>redis</c> or <c>standalone</c>.</summary>
    string Mode { get; set; }

    /// <summary>Why the sync is degraded, as one of <see cref="SyncReasons"/>, or null when healthy.</summary>
    string? Problem { get; set; }

    /// <summary>When Redis last answered the sync (Unix ms).</summary>
    long LastSyncUnixMs { get; set; }

    /// <summary>While the edge serves its last-known-good snapshot: when it was written (Unix ms); else 0.</summary>
    long SnapshotWrittenUnixMs { get; set; }
}

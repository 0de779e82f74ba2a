using Capgo.Edge.Redis;

namespace Capgo.Edge.Server.Projection;

/// <summary>What the projection source reports about itself, for /healthz/ready and logs.</summary>
/// <remarks>Stays in the server (both modes and the health endpoints use it); the Redis sync reports through <see cref="ISyncHealth"/>.</remarks>
internal sealed class ProjectionHealth : ISyncHealth
{
    private volatile string _mode = "standalone";
    private volatile string? _problem;
    private long _lastSyncUnixMs;
    private long _snapshotWrittenUnixMs;

    public string Mode
    {
        get => _mode;
        set => _mode = value;
    }

    /// <summary>Why the source is degraded (Redis unreachable, say), or null when healthy.</summary>
    public string? Problem
    {
        get => _problem;
        set => _problem = value;
    }

    public bool IsDegraded => _problem is not null;

    public long LastSyncUnixMs
    {
        get => Interlocked.Read(ref _lastSyncUnixMs);
        set => Interlocked.Exchange(ref _lastSyncUnixMs, value);
    }

    public long SnapshotWrittenUnixMs
    {
        get => Interlocked.Read(ref _snapshotWrittenUnixMs);
        set => Interlocked.Exchange(ref _snapshotWrittenUnixMs, value);
    }
}

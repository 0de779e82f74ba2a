using System.ComponentModel.DataAnnotations;

namespace Capgo.Edge.Redis;

/// <summary>
/// Redis sync (section <c>Sync</c>). Bound and validated in every mode: the prefix and the edge's name
/// also name the event stream and the override writes, whatever else is configured.
/// </summary>
public sealed class SyncOptions
{
    public const string Section = "Sync";

    /// <summary>Key prefix of the projection in Redis (docs/redis-layout.md).</summary>
    [Required]
    public string Prefix { get; set; } = RedisLayout.DefaultPrefix;

    /// <summary>This edge's name in heartbeats, acknowledgements and events; unique per process by default.</summary>
    public string? EdgeName { get; set; }

    /// <summary>How often generations are compared with Redis, to converge after anything missed.</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "01:00:00")]
    public TimeSpan ReconcileInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How often the edge reports itself alive. Publishers (<c>--wait</c>, <c>capgo-edge edges</c>, the
    /// dashboard) count an edge live for 15 s after its last heartbeat, so the longest interval allowed
    /// leaves room for two lost ones; the default is that longest, one ZADD per reconcile interval.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:00:05")]
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Keeps a last-known-good copy of the projection on disk, served when the edge starts while Redis is unreachable.</summary>
    public bool Snapshot { get; set; } = true;

    /// <summary>The snapshot's file; by default one per Redis and prefix under the temporary folder's <c>capgo-edge/</c>.</summary>
    public string? SnapshotPath { get; set; }

    /// <summary>How often the snapshot is rewritten when the projection changed (and once at a stop).</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "01:00:00")]
    public TimeSpan SnapshotInterval { get; set; } = TimeSpan.FromSeconds(30);
}

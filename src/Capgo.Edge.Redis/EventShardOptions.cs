using System.ComponentModel.DataAnnotations;

namespace Capgo.Edge.Redis;

/// <summary>
/// How many streams device events are spread over (<c>Events:Shards</c>, docs/events.md). Edges and the
/// control-plane service read the same key: edges write each device's events to its shard, the
/// consumer reads every shard. Bound and validated at start in both.
/// </summary>
public sealed class EventShardOptions
{
    public const string Section = "Events";

    /// <summary>1 keeps every event key under the prefix; more, on Redis Cluster, spreads event intake over the masters.</summary>
    [Range(1, RedisLayout.MaxEventShards)]
    public int Shards { get; set; } = 1;
}

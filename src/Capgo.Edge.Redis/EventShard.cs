using StackExchange.Redis;

namespace Capgo.Edge.Redis;

/// <summary>
/// One event shard's keys (docs/events.md, docs/redis-layout.md): its stream, and every aggregate the
/// consumer writes from it. The aggregate script counts a batch and acknowledges it in one step, so all
/// of a shard's keys share its <see cref="Prefix"/>, and on Redis Cluster its hash tag, hence one slot.
/// Devices are spread over shards by <see cref="RedisLayout.ShardOf"/>: a device's events, registry
/// entry and set memberships all live in one shard, so readers add the shards' figures up (distinct
/// devices included) and look a device up in its own shard.
/// </summary>
public sealed class EventShard
{
    internal EventShard(int index, string prefix)
    {
        Index = index;
        Prefix = prefix;
        Events = prefix + "events";
        AnalyticsCounts = prefix + "analytics:counts";
    }

    /// <summary>0 to shards − 1.</summary>
    public int Index { get; }

    /// <summary>The start of this shard's keys: the layout's prefix with one shard, else the prefix with a hash tag of the shard's own.</summary>
    public string Prefix { get; }

    /// <summary>STREAM of device events written by edges.</summary>
    public RedisKey Events { get; }

    /// <summary>HASH of the consumer's own counts: <c>processed</c>, <c>malformed</c>, <c>trimmed</c>.</summary>
    public RedisKey AnalyticsCounts { get; }

    /// <summary>
    /// HASH of one app's counts in one minute (Unix minutes): field <c>channel␟bundle␟metric</c> → count,
    /// metrics <c>check:&lt;outcome&gt;</c>, <c>install</c>, <c>fail</c>, <c>download</c>.
    /// </summary>
    public RedisKey StatsMinute(string appId, long minute) => Prefix + "stats:" + appId + ":m:" + minute;

    /// <summary>HASH of one app's counts in one hour (Unix hours), as <see cref="StatsMinute"/>: what long windows read.</summary>
    public RedisKey StatsHour(string appId, long hour) => Prefix + "stats:" + appId + ":h:" + hour;

    /// <summary>HYPERLOGLOG of the devices that sent any event on the bundle that day (Unix days).</summary>
    public RedisKey ActiveDevices(string appId, string bundle, long day) => Prefix + "active:" + appId + ":" + day + ":" + bundle;

    /// <summary>HYPERLOGLOG of the devices that reported an install or a failure of the bundle in that hour: what rollout guards count.</summary>
    public RedisKey Reporters(string appId, string bundle, long hour) => Prefix + "reporters:" + appId + ":" + hour + ":" + bundle;

    /// <summary>HASH: one device's registry entry (last seen, bundle, native version, platform, plugin, channel, custom id, last event).</summary>
    public RedisKey Device(string appId, string deviceId) => Prefix + "device:" + appId + ":" + deviceId;

    /// <summary>SET of the device ids of this shard that reported this <c>custom_id</c>.</summary>
    public RedisKey CustomId(string appId, string customId) => Prefix + "custom:" + appId + ":" + customId;

    /// <summary>The Redis Cluster slot of every key of this shard.</summary>
    public int Slot => HashSlots.Of(Prefix + "events");
}

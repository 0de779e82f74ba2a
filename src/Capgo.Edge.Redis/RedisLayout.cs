using StackExchange.Redis;

namespace Capgo.Edge.Redis;

/// <summary>
/// The Redis key layout shared by publishers and edges (docs/redis-layout.md).
/// Every key starts with <see cref="Prefix"/>; give it a hash tag (<c>{capgo}:</c>) on Redis Cluster
/// so that the publish script's keys share one slot.
/// </summary>
public sealed class RedisLayout
{
    public const string DefaultPrefix = "capgo:edge:";

    public RedisLayout(string prefix = DefaultPrefix)
    {
        ArgumentException.ThrowIfNullOrEmpty(prefix);
        Prefix = prefix;
        Generation = prefix + "generation";
        Apps = prefix + "apps";
        Tombstones = prefix + "tombstones";
        Edges = prefix + "edges";
        Changes = RedisChannel.Literal(prefix + "changes");
        Events = prefix + "events";
    }

    public string Prefix { get; }

    /// <summary>STRING: the last generation issued (microseconds since the Unix epoch, or more).</summary>
    public RedisKey Generation { get; }

    /// <summary>SET of app ids.</summary>
    public RedisKey Apps { get; }

    /// <summary>HASH app id → generation of its delete; lets an edge that missed a delete catch up.</summary>
    public RedisKey Tombstones { get; }

    /// <summary>ZSET edge name → last heartbeat (Unix ms).</summary>
    public RedisKey Edges { get; }

    /// <summary>Pub/sub channel of announcements (JSON, see <see cref="Announcement"/>).</summary>
    public RedisChannel Changes { get; }

    /// <summary>STREAM of device events written by edges (docs/events.md).</summary>
    public RedisKey Events { get; }

    /// <summary>HASH: <c>doc</c> (app document without overrides), <c>gen</c>, <c>ogen</c> (overrides generation).</summary>
    public RedisKey App(string appId) => Prefix + "app:" + appId;

    /// <summary>SET of the app's channel names, so override changes are checked without parsing the document.</summary>
    public RedisKey AppChannels(string appId) => Prefix + "app:" + appId + ":channels";

    /// <summary>HASH device id (lower case) → channel name.</summary>
    public RedisKey AppOverrides(string appId) => Prefix + "app:" + appId + ":overrides";

    /// <summary>LIST of the channel's changes, newest first (JSON entries; the last <see cref="HistoryLength"/> are kept).</summary>
    public RedisKey ChannelHistory(string appId, string channel) => Prefix + "app:" + appId + ":history:" + channel;

    /// <summary>STREAM of every change made through the release operations: generation, app, actor, operation.</summary>
    public RedisKey Audit => Prefix + "audit";

    /// <summary>Changes kept per channel (the publish script trims to it).</summary>
    public const int HistoryLength = 100;

    /// <summary>HASH app id → "gen ogen" the edge serves (its acknowledgements).</summary>
    public RedisKey EdgeApps(string edgeName) => Prefix + "edge:" + edgeName + ":apps";
}

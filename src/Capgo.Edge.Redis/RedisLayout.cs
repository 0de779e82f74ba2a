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

    /// <summary>HASH: <c>doc</c> (app document without overrides), <c>gen</c>.</summary>
    public RedisKey App(string appId) => Prefix + "app:" + appId;

    /// <summary>SET of the app's channel names, so override changes are checked without parsing the document.</summary>
    public RedisKey AppChannels(string appId) => Prefix + "app:" + appId + ":channels";

    /// <summary>
    /// STRING: the generation of the app's last override change (<c>ogen</c>). A key of its own, beside
    /// <see cref="AppOverrides"/>, so an edge's user may write pins without any right on the document.
    /// </summary>
    public RedisKey AppOverridesGeneration(string appId) => Prefix + "app:" + appId + ":ogen";

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

    /// <summary>The consumer group of the control plane's event consumer on <see cref="Events"/>.</summary>
    public const string AnalyticsGroup = "analytics";

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

    /// <summary>SET of the device ids that reported this <c>custom_id</c>.</summary>
    public RedisKey CustomId(string appId, string customId) => Prefix + "custom:" + appId + ":" + customId;

    /// <summary>HASH of the consumer's own counts: <c>processed</c>, <c>malformed</c>, <c>trimmed</c>.</summary>
    public RedisKey AnalyticsCounts => Prefix + "analytics:counts";

    /// <summary>HASH of one release-API key, under the SHA-256 of the key (the key itself is never stored): <c>app</c>, <c>name</c>, <c>created</c>.</summary>
    public RedisKey ApiKey(string keyHash) => Prefix + "apikey:" + keyHash;

    /// <summary>SET of the hashes of an app's release-API keys.</summary>
    public RedisKey AppApiKeys(string appId) => Prefix + "app:" + appId + ":apikeys";
}

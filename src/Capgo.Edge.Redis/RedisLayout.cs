using StackExchange.Redis;

namespace Capgo.Edge.Redis;

/// <summary>
/// The Redis key layout shared by publishers and edges (docs/redis-layout.md).
/// Every projection key starts with <see cref="Prefix"/>; give it a hash tag (<c>{capgo}:</c>) on Redis
/// Cluster so that the publish script's keys share one slot. Device events go to
/// <see cref="EventShards"/>: with one shard (the default) its keys start with the prefix too; with
/// more, each shard's keys carry a hash tag of their own (<see cref="EventShard"/>).
/// </summary>
public sealed class RedisLayout
{
    public const string DefaultPrefix = "capgo:edge:";

    /// <summary>The most event shards a layout takes (<c>Events:Shards</c>).</summary>
    public const int MaxEventShards = 64;

    public RedisLayout(string prefix = DefaultPrefix, int eventShards = 1)
    {
        ArgumentException.ThrowIfNullOrEmpty(prefix);
        ArgumentOutOfRangeException.ThrowIfLessThan(eventShards, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(eventShards, MaxEventShards);
        Prefix = prefix;
        EventShards = [.. Enumerable.Range(0, eventShards).Select(i => new EventShard(i, ShardPrefix(prefix, i, eventShards)))];
        Generation = prefix + "generation";
        Apps = prefix + "apps";
        Tombstones = prefix + "tombstones";
        Edges = prefix + "edges";
        Changes = RedisChannel.Literal(prefix + "changes");
    }

    public string Prefix { get; }

    /// <summary>True when <see cref="Prefix"/> has a hash tag: every projection key then lives in one Redis Cluster slot.</summary>
    public bool HasHashTag => HashSlots.Tag(Prefix) is not null;

    /// <summary>The Redis Cluster slot of the projection's keys (meaningful when <see cref="HasHashTag"/>).</summary>
    public int ProjectionSlot => HashSlots.Of(Generation.ToString());

    /// <summary>Where device events go and are counted: edges write a device's events to <see cref="ShardOf"/>, the consumer reads every shard.</summary>
    public IReadOnlyList<EventShard> EventShards { get; }

    /// <summary>The shard of a device's events and registry entry.</summary>
    public EventShard ShardOf(string deviceId) => EventShards[HashSlots.ShardOf(deviceId, EventShards.Count)];

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

    /// <summary>The first event shard's stream (docs/events.md): the only one with the default single shard.</summary>
    public RedisKey Events => EventShards[0].Events;

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

    // The aggregates of the first event shard (all of them with the default single shard); code that
    // reads or writes events goes through EventShards and ShardOf.

    /// <summary>The first shard's <see cref="EventShard.StatsMinute"/>.</summary>
    public RedisKey StatsMinute(string appId, long minute) => EventShards[0].StatsMinute(appId, minute);

    /// <summary>The first shard's <see cref="EventShard.StatsHour"/>.</summary>
    public RedisKey StatsHour(string appId, long hour) => EventShards[0].StatsHour(appId, hour);

    /// <summary>The first shard's <see cref="EventShard.ActiveDevices"/>.</summary>
    public RedisKey ActiveDevices(string appId, string bundle, long day) => EventShards[0].ActiveDevices(appId, bundle, day);

    /// <summary>The first shard's <see cref="EventShard.Reporters"/>.</summary>
    public RedisKey Reporters(string appId, string bundle, long hour) => EventShards[0].Reporters(appId, bundle, hour);

    /// <summary>The device's registry entry, in its own shard (<see cref="ShardOf"/>).</summary>
    public RedisKey Device(string appId, string deviceId) => ShardOf(deviceId).Device(appId, deviceId);

    /// <summary>The first shard's <see cref="EventShard.CustomId"/>.</summary>
    public RedisKey CustomId(string appId, string customId) => EventShards[0].CustomId(appId, customId);

    /// <summary>The first shard's <see cref="EventShard.AnalyticsCounts"/>.</summary>
    public RedisKey AnalyticsCounts => EventShards[0].AnalyticsCounts;

    /// <summary>HASH of one release-API key, under the SHA-256 of the key (the key itself is never stored): <c>app</c>, <c>name</c>, <c>created</c>.</summary>
    public RedisKey ApiKey(string keyHash) => Prefix + "apikey:" + keyHash;

    /// <summary>SET of the hashes of an app's release-API keys.</summary>
    public RedisKey AppApiKeys(string appId) => Prefix + "app:" + appId + ":apikeys";

    /// <summary>
    /// The key prefix of shard <paramref name="index"/> of <paramref name="count"/>: the layout's own with
    /// one shard (today's keys); else the prefix with a hash tag of the shard's own, <c>{tag.sI.K}</c> in
    /// place of the prefix's tag, or <c>{sI.K}:</c> after a prefix without one. K is the first number
    /// that puts the tag's slot in the middle half of the I-th of <paramref name="count"/> equal parts of
    /// the slot range, so the shards land on different masters of a cluster whose masters hold equal
    /// runs of slots (what <c>redis-cli --cluster create</c> makes).
    /// </summary>
    private static string ShardPrefix(string prefix, int index, int count)
    {
        if (count == 1)
        {
            return prefix;
        }

        var tag = HashSlots.Tag(prefix);
        var width = (double)HashSlots.Count / count;
        var center = width * (index + 0.5);
        for (var k = 0; ; k++)
        {
            var name = string.Create(System.Globalization.CultureInfo.InvariantCulture, $"s{index}.{k}");
            var shardPrefix = tag is { } t
                ? prefix[..t.Start] + prefix.Substring(t.Start, t.Length) + "." + name + prefix[(t.Start + t.Length)..]
                : prefix + "{" + name + "}:";
            if (Math.Abs(HashSlots.Of(shardPrefix) + 0.5 - center) <= width / 4)
            {
                return shardPrefix;
            }
        }
    }
}

using System.Text.Json;
using StackExchange.Redis;

namespace Capgo.Edge.ControlPlane;

/// <summary>
/// The Redis key layout and announcement format shared by publishers and edges (docs/redis-layout.md).
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

    /// <summary>HASH app id → "gen ogen" the edge serves (its acknowledgements).</summary>
    public RedisKey EdgeApps(string edgeName) => Prefix + "edge:" + edgeName + ":apps";
}

/// <summary>
/// One announcement on the changes channel:
/// <c>{"type":"app","app_id":"…","generation":N}</c>,
/// <c>{"type":"override","app_id":"…","generation":N,"device_id":"…","channel":"…"|null}</c>,
/// <c>{"type":"delete","app_id":"…","generation":N}</c>.
/// </summary>
public sealed record Announcement(string Type, string AppId, long Generation, string? DeviceId = null, string? Channel = null)
{
    public const string AppType = "app";
    public const string OverrideType = "override";
    public const string DeleteType = "delete";

    public static Announcement? TryParse(ReadOnlySpan<byte> json)
    {
        try
        {
            var reader = new Utf8JsonReader(json);
            string? type = null, appId = null, deviceId = null, channel = null;
            long generation = 0;
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return null;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var name = reader.GetString();
                reader.Read();
                switch (name)
                {
                    case "type": type = reader.GetString(); break;
                    case "app_id": appId = reader.GetString(); break;
                    case "generation": generation = reader.GetInt64(); break;
                    case "device_id": deviceId = reader.TokenType == JsonTokenType.Null ? null : reader.GetString(); break;
                    case "channel": channel = reader.TokenType == JsonTokenType.Null ? null : reader.GetString(); break;
                    default: reader.Skip(); break;
                }
            }

            return type is null || appId is null ? null : new Announcement(type, appId, generation, deviceId, channel);
        }
        catch (JsonException)
        {
            return null;
        }
        catch (InvalidOperationException)
        {
            return null;
        }
    }
}

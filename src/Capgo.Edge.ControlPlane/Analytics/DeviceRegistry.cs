using Capgo.Edge.Redis;
using StackExchange.Redis;

namespace Capgo.Edge.ControlPlane.Analytics;

/// <summary>A device as the event consumer last saw it (the fields its latest event carried).</summary>
public sealed record DeviceEntry(string DeviceId, DateTimeOffset LastSeen, IReadOnlyDictionary<string, string> Fields)
{
    public string? Get(string field) => Fields.TryGetValue(field, out var value) ? value : null;
}

/// <summary>
/// Looks devices up in the registry the event consumer keeps, by device id (in the device's own event
/// shard) or by custom id (in every shard: devices sharing one may live in different shards).
/// </summary>
public sealed class DeviceRegistry
{
    private readonly IDatabase _db;
    private readonly RedisLayout _layout;

    public DeviceRegistry(IConnectionMultiplexer redis, RedisLayout layout)
    {
        ArgumentNullException.ThrowIfNull(redis);
        _db = redis.GetDatabase();
        _layout = layout;
    }

    /// <summary>The device's entry; null when it sent nothing within the retention.</summary>
    public async Task<DeviceEntry?> FindAsync(string appId, string deviceId)
    {
        var fields = await _db.HashGetAllAsync(_layout.Device(appId, deviceId.ToLowerInvariant())).ConfigureAwait(false);
        if (fields.Length == 0)
        {
            return null;
        }

        var map = fields.ToDictionary(static f => f.Name.ToString(), static f => f.Value.ToString(), StringComparer.Ordinal);
        var lastSeen = long.TryParse(map.GetValueOrDefault("last_seen"), out var ms) ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : DateTimeOffset.MinValue;
        return new DeviceEntry(map.GetValueOrDefault("device_id") ?? deviceId, lastSeen, map);
    }

    /// <summary>Every device that reported <paramref name="customId"/> and still has an entry, most recently seen first.</summary>
    public async Task<IReadOnlyList<DeviceEntry>> FindByCustomIdAsync(string appId, string customId)
    {
        var shards = await Task.WhenAll(_layout.EventShards.Select(shard => _db.SetMembersAsync(shard.CustomId(appId, customId)))).ConfigureAwait(false);
        var entries = new List<DeviceEntry>();
        foreach (var device in shards.SelectMany(static members => members).Distinct())
        {
            if (await FindAsync(appId, device.ToString()).ConfigureAwait(false) is { } entry && entry.Get("custom_id") == customId)
            {
                entries.Add(entry);
            }
        }

        return [.. entries.OrderByDescending(static e => e.LastSeen)];
    }
}

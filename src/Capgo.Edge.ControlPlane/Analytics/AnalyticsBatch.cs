using System.Globalization;
using Capgo.Edge.Redis;
using StackExchange.Redis;

namespace Capgo.Edge.ControlPlane.Analytics;

/// <summary>
/// What one batch of stream entries adds, merged before it is written: counts per app × channel ×
/// bundle × metric for each minute and hour, active devices per bundle and day, the devices reporting
/// installs or failures per bundle and hour (rollout guards), and each device's registry entry (its
/// latest event wins). <see cref="WriteOperations"/> writes them as the aggregate script's operations,
/// grouped by key: one write per counted field, one PFADD or SADD per set, one EXPIRE per key. Every
/// key is the event shard's whose entries the batch holds, so the script's keys share one slot.
/// </summary>
public sealed class AnalyticsBatch(EventShard shard, AnalyticsOptions options)
{
    /// <summary>The script's first two keys are the stream and the counts; the operations' keys follow (Lua counts from 1).</summary>
    private const int FirstKey = 3;

    private const long Minute = 60_000;
    private const long Hour = 3_600_000;
    private const long Day = 86_400_000;

    /// <summary>The registry's fields, in the order the script receives their values; the first <see cref="RequiredFields"/> every event sets.</summary>
    private static readonly RedisValue[] RegistryFields =
    [
        "last_seen", "app_id", "device_id", "version_name", "last_event",
        "channel", "platform", "version_build", "plugin_version", "custom_id", "default_channel", "is_emulator", "is_prod",
    ];

    private const int RequiredFields = 5;

    private readonly Dictionary<(string App, bool Hourly, long Bucket), Dictionary<(string Channel, string Bundle, string Metric), long>> _counts = [];
    private readonly Dictionary<(string App, string Bundle, long Bucket, bool Reporters), HashSet<string>> _uniques = [];
    private readonly Dictionary<(string App, string Device), DeviceFields> _devices = [];
    private readonly Dictionary<(string App, string CustomId), HashSet<string>> _customIds = [];

    public int Counted { get; private set; }

    public int Malformed { get; private set; }

    /// <summary>Adds one entry; a malformed one is only counted as such.</summary>
    public void Add(DeviceEventEntry? entry)
    {
        if (entry is null)
        {
            Malformed++;
            return;
        }

        Counted++;
        if (entry.Metric is { } metric)
        {
            var field = (entry.Channel, entry.Bundle, metric);
            Increment((entry.AppId, false, entry.Time / Minute), field);
            Increment((entry.AppId, true, entry.Time / Hour), field);
            if (metric is Metrics.Install or Metrics.Fail)
            {
                Members(_uniques, (entry.AppId, entry.Bundle, entry.Time / Hour, true)).Add(entry.DeviceId);
            }
        }

        Members(_uniques, (entry.AppId, entry.Bundle, entry.Time / Day, false)).Add(entry.DeviceId);
        if (!_devices.TryGetValue((entry.AppId, entry.DeviceId), out var device))
        {
            _devices[(entry.AppId, entry.DeviceId)] = device = new DeviceFields();
        }

        device.Merge(entry);
        if (!string.IsNullOrEmpty(entry.CustomId))
        {
            Members(_customIds, (entry.AppId, entry.CustomId)).Add(entry.DeviceId);
        }
    }

    /// <summary>How many keys <see cref="WriteOperations"/> writes: one per aggregate key the batch touches.</summary>
    public int KeysLength => _counts.Count + _uniques.Count + _devices.Count + _customIds.Count;

    /// <summary>How many arguments <see cref="WriteOperations"/> writes.</summary>
    public int OperationsLength
    {
        get
        {
            var length = 4 + RegistryFields.Length + 1 + (_devices.Count * (1 + RegistryFields.Length)) + (Malformed > 0 ? 6 : 3);
            foreach (var fields in _counts.Values)
            {
                length += 4 + (2 * fields.Count);
            }

            foreach (var members in _uniques.Values)
            {
                length += 4 + members.Count;
            }

            foreach (var members in _customIds.Values)
            {
                length += 4 + members.Count;
            }

            return length;
        }
    }

    /// <summary>
    /// Writes the aggregate script's operations (after the ids), <see cref="OperationsLength"/> of them,
    /// and the keys they write (after the stream and the counts), <see cref="KeysLength"/> of them, each
    /// operation naming its key by its index k in the script's KEYS:
    /// <c>I k ttl n (field delta)×n</c>, <c>P k ttl n member×n</c>,
    /// <c>D ttl nfields nrequired name×nfields n (k value×nfields)×n</c>, <c>S k ttl n member×n</c>,
    /// then the consumer's own counts <c>C field delta</c>.
    /// </summary>
    public void WriteOperations(Span<RedisValue> args, Span<RedisKey> keys)
    {
        var at = 0;
        var nextKey = 0;
        var hourTtl = Seconds(options.HourRetention);
        var deviceTtl = Seconds(options.DeviceRetention);
        foreach (var ((app, hourly, bucket), fields) in _counts)
        {
            keys[nextKey] = hourly ? shard.StatsHour(app, bucket) : shard.StatsMinute(app, bucket);
            Write(args, ref at, "I", FirstKey + nextKey++,
                hourly ? hourTtl : Seconds(options.MinuteRetention), fields.Count);
            foreach (var ((channel, bundle, metric), delta) in fields)
            {
                Write(args, ref at, Metrics.Field(channel, bundle, metric), delta);
            }
        }

        foreach (var ((app, bundle, bucket, reporters), members) in _uniques)
        {
            keys[nextKey] = reporters ? shard.Reporters(app, bundle, bucket) : shard.ActiveDevices(app, bundle, bucket);
            WriteMembers(args, ref at, "P", FirstKey + nextKey++, hourTtl, members);
        }

        Write(args, ref at, "D", deviceTtl, RegistryFields.Length, RequiredFields);
        RegistryFields.CopyTo(args[at..]);
        at += RegistryFields.Length;
        args[at++] = _devices.Count;
        foreach (var ((app, deviceId), device) in _devices)
        {
            keys[nextKey] = shard.Device(app, deviceId);
            args[at++] = FirstKey + nextKey++;
            device.WriteValues(args.Slice(at, RegistryFields.Length));
            at += RegistryFields.Length;
        }

        foreach (var ((app, customId), members) in _customIds)
        {
            keys[nextKey] = shard.CustomId(app, customId);
            WriteMembers(args, ref at, "S", FirstKey + nextKey++, deviceTtl, members);
        }

        Write(args, ref at, "C", "processed", Counted);
        if (Malformed > 0)
        {
            Write(args, ref at, "C", "malformed", Malformed);
        }
    }

    private static void Write(Span<RedisValue> args, ref int at, params ReadOnlySpan<RedisValue> values)
    {
        values.CopyTo(args[at..]);
        at += values.Length;
    }

    private static void WriteMembers(Span<RedisValue> args, ref int at, string op, int key, long ttl, HashSet<string> members)
    {
        Write(args, ref at, op, key, ttl, members.Count);
        foreach (var member in members)
        {
            args[at++] = member;
        }
    }

    private void Increment((string App, bool Hourly, long Bucket) key, (string, string, string) field)
    {
        if (!_counts.TryGetValue(key, out var fields))
        {
            _counts[key] = fields = [];
        }

        fields[field] = fields.GetValueOrDefault(field) + 1;
    }

    private static HashSet<string> Members<TKey>(Dictionary<TKey, HashSet<string>> sets, TKey key)
        where TKey : notnull
    {
        if (!sets.TryGetValue(key, out var members))
        {
            sets[key] = members = new HashSet<string>(StringComparer.Ordinal);
        }

        return members;
    }

    private static long Seconds(TimeSpan span) => (long)span.TotalSeconds;

    /// <summary>One device's registry values in this batch, merged as HSET in time order would: a later event's values win, and values it lacks keep earlier ones.</summary>
    private sealed class DeviceFields
    {
        private readonly string?[] _values = new string?[RegistryFields.Length];
        private long _time;

        public void Merge(DeviceEventEntry e)
        {
            var later = e.Time >= _time;
            Set(0, e.Time.ToString(CultureInfo.InvariantCulture), later, required: true);
            Set(1, e.AppId, later, required: true);
            Set(2, e.DeviceId, later, required: true);
            Set(3, e.Bundle, later, required: true);
            Set(4, e.LastEvent, later, required: true);
            Set(5, e.Channel, later);
            Set(6, e.Platform, later);
            Set(7, e.NativeVersion, later);
            Set(8, e.PluginVersion, later);
            Set(9, e.CustomId, later);
            Set(10, e.DefaultChannel, later);
            Set(11, e.IsEmulator, later);
            Set(12, e.IsProd, later);
            _time = Math.Max(_time, e.Time);
        }

        /// <summary>The values in <see cref="RegistryFields"/> order; the script leaves out an empty optional value.</summary>
        public void WriteValues(Span<RedisValue> args)
        {
            for (var i = 0; i < _values.Length; i++)
            {
                args[i] = _values[i] ?? "";
            }
        }

        private void Set(int slot, string? value, bool later, bool required = false)
        {
            if ((required || !string.IsNullOrEmpty(value)) && (later || _values[slot] is null))
            {
                _values[slot] = value;
            }
        }
    }
}

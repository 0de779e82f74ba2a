using System.Globalization;
using Capgo.Edge.Redis;
using StackExchange.Redis;

namespace Capgo.Edge.ControlPlane.Analytics;

/// <summary>
/// What one batch of stream entries adds, merged before it is written: counts per app × channel ×
/// bundle × metric for each minute and hour, active devices per bundle and day, the devices reporting
/// installs or failures per bundle and hour (rollout guards), and each device's registry entry (its
/// latest event wins). <see cref="Operations"/> are the aggregate script's operations.
/// </summary>
public sealed class AnalyticsBatch(RedisLayout layout, AnalyticsOptions options)
{
    private const long Minute = 60_000;
    private const long Hour = 3_600_000;
    private const long Day = 86_400_000;

    private readonly Dictionary<(string Key, string Field), long> _counts = [];
    private readonly HashSet<(string Key, string Member)> _uniques = [];
    private readonly Dictionary<string, (long Time, Dictionary<string, string> Fields)> _devices = new(StringComparer.Ordinal);
    private readonly HashSet<(string Key, string Member)> _customIds = [];

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
            var field = Metrics.Field(entry.Channel, entry.Bundle, metric);
            Increment(layout.StatsMinute(entry.AppId, entry.Time / Minute), field);
            Increment(layout.StatsHour(entry.AppId, entry.Time / Hour), field);
            if (metric is Metrics.Install or Metrics.Fail)
            {
                _uniques.Add((layout.Reporters(entry.AppId, entry.Bundle, entry.Time / Hour)!, entry.DeviceId));
            }
        }

        _uniques.Add((layout.ActiveDevices(entry.AppId, entry.Bundle, entry.Time / Day)!, entry.DeviceId));
        var deviceKey = (string)layout.Device(entry.AppId, entry.DeviceId)!;
        if (!_devices.TryGetValue(deviceKey, out var device))
        {
            device = (entry.Time, new Dictionary<string, string>(StringComparer.Ordinal));
        }

        // As HSET in time order would: a later event's fields win, and fields it lacks keep earlier values.
        var later = entry.Time >= device.Time;
        foreach (var (name, value) in RegistryFields(entry))
        {
            if (later || !device.Fields.ContainsKey(name))
            {
                device.Fields[name] = value;
            }
        }

        _devices[deviceKey] = (Math.Max(device.Time, entry.Time), device.Fields);

        if (!string.IsNullOrEmpty(entry.CustomId))
        {
            _customIds.Add(((string)layout.CustomId(entry.AppId, entry.CustomId)!, entry.DeviceId));
        }
    }

    /// <summary>The aggregate script's ARGV after the ids: one operation per merged change, then the consumer's own counts.</summary>
    public IEnumerable<RedisValue> Operations()
    {
        var minuteTtl = Seconds(options.MinuteRetention);
        var hourTtl = Seconds(options.HourRetention);
        var deviceTtl = Seconds(options.DeviceRetention);
        foreach (var ((key, field), delta) in _counts)
        {
            yield return "I";
            yield return key;
            yield return field;
            yield return delta;
            yield return key.Contains(":m:", StringComparison.Ordinal) ? minuteTtl : hourTtl;
        }

        foreach (var (key, member) in _uniques)
        {
            yield return "P";
            yield return key;
            yield return member;
            yield return hourTtl;
        }

        foreach (var (key, (_, fields)) in _devices)
        {
            yield return "H";
            yield return key;
            yield return deviceTtl;
            yield return fields.Count;
            foreach (var (name, value) in fields)
            {
                yield return name;
                yield return value;
            }
        }

        foreach (var (key, member) in _customIds)
        {
            yield return "S";
            yield return key;
            yield return member;
            yield return deviceTtl;
        }

        yield return "C";
        yield return "processed";
        yield return Counted;
        if (Malformed > 0)
        {
            yield return "C";
            yield return "malformed";
            yield return Malformed;
        }
    }

    private void Increment(RedisKey key, string field)
    {
        var k = (key.ToString(), field);
        _counts[k] = _counts.GetValueOrDefault(k) + 1;
    }

    /// <summary>The registry fields an event sets: always its time, ids, bundle and last event; the rest when it carries them.</summary>
    private static IEnumerable<(string Name, string Value)> RegistryFields(DeviceEventEntry e)
    {
        yield return ("last_seen", e.Time.ToString(CultureInfo.InvariantCulture));
        yield return ("app_id", e.AppId);
        yield return ("device_id", e.DeviceId);
        yield return ("version_name", e.Bundle);
        yield return ("last_event", e.LastEvent);
        foreach (var (name, value) in new[]
        {
            ("channel", e.Channel), ("platform", e.Platform), ("version_build", e.NativeVersion), ("plugin_version", e.PluginVersion),
            ("custom_id", e.CustomId), ("default_channel", e.DefaultChannel), ("is_emulator", e.IsEmulator), ("is_prod", e.IsProd),
        })
        {
            if (!string.IsNullOrEmpty(value))
            {
                yield return (name, value);
            }
        }
    }

    private static string Seconds(TimeSpan span) => ((long)span.TotalSeconds).ToString(CultureInfo.InvariantCulture);
}

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
    private readonly Dictionary<string, DeviceEventEntry> _devices = new(StringComparer.Ordinal);
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
        if (!_devices.TryGetValue(deviceKey, out var seen) || seen.Time <= entry.Time)
        {
            _devices[deviceKey] = entry;
        }

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

        foreach (var (key, e) in _devices)
        {
            var fields = new List<RedisValue>
            {
                "last_seen", e.Time, "app_id", e.AppId, "device_id", e.DeviceId, "version_name", e.Bundle, "last_event", e.LastEvent,
            };
            AddIf(fields, "channel", e.Channel);
            AddIf(fields, "platform", e.Platform);
            AddIf(fields, "version_build", e.NativeVersion);
            AddIf(fields, "plugin_version", e.PluginVersion);
            AddIf(fields, "custom_id", e.CustomId);
            yield return "H";
            yield return key;
            yield return deviceTtl;
            yield return fields.Count / 2;
            foreach (var value in fields)
            {
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

    private static void AddIf(List<RedisValue> fields, string name, string? value)
    {
        if (!string.IsNullOrEmpty(value))
        {
            fields.Add(name);
            fields.Add(value);
        }
    }

    private static string Seconds(TimeSpan span) => ((long)span.TotalSeconds).ToString(CultureInfo.InvariantCulture);
}

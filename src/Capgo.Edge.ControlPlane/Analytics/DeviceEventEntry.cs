using System.Globalization;
using StackExchange.Redis;

namespace Capgo.Edge.ControlPlane.Analytics;

/// <summary>
/// One entry of the event stream as the consumer counts it (docs/events.md): the fields it uses, or
/// null for an entry it cannot count (missing kind, time, app or device).
/// </summary>
public sealed record DeviceEventEntry(
    string Kind,
    long Time,
    string AppId,
    string DeviceId,
    string Bundle,
    string Channel,
    string? Action,
    string? Outcome,
    string? Platform,
    string? NativeVersion,
    string? PluginVersion,
    string? CustomId,
    string? DefaultChannel = null,
    string? IsEmulator = null,
    string? IsProd = null)
{
    public const string Stats = "stats";
    public const string Check = "check";

    /// <summary>The counter this event adds to, if any: <c>check:&lt;outcome&gt;</c>, <c>install</c>, <c>fail</c>, <c>download</c>.</summary>
    public string? Metric => Kind == Check
        ? "check:" + (Outcome ?? "unknown")
        : Action switch
        {
            "set" => Metrics.Install,
            "download_complete" => Metrics.Download,
            { } a when a.EndsWith("_fail", StringComparison.Ordinal) => Metrics.Fail,
            _ => null,
        };

    /// <summary>What the registry shows as the device's last event: its action, or the check's outcome.</summary>
    public string LastEvent => Kind == Check ? "check:" + (Outcome ?? "unknown") : Action ?? "stats";

    public static DeviceEventEntry? Parse(NameValueEntry[] values)
    {
        ArgumentNullException.ThrowIfNull(values);
        string? kind = null, ts = null, app = null, device = null, version = null, channel = null, action = null, outcome = null,
            platform = null, build = null, plugin = null, custom = null, defaultChannel = null, emulator = null, prod = null;
        Span<char> name = stackalloc char[MaxNameLength];
        foreach (var value in values)
        {
            // Names are matched without making strings of them: an entry carries ~17, half of them unused here.
            switch (Name(value.Name, name))
            {
                case "kind": kind = value.Value; break;
                case "ts": ts = value.Value; break;
                case "app_id": app = value.Value; break;
                case "device_id": device = value.Value; break;
                case "version_name": version = value.Value; break;
                case "channel": channel = value.Value; break;
                case "action": action = value.Value; break;
                case "outcome": outcome = value.Value; break;
                case "platform": platform = value.Value; break;
                case "version_build": build = value.Value; break;
                case "plugin_version": plugin = value.Value; break;
                case "custom_id": custom = value.Value; break;
                case "default_channel": defaultChannel = value.Value; break;
                case "is_emulator": emulator = value.Value; break;
                case "is_prod": prod = value.Value; break;
            }
        }

        if (kind is not (Stats or Check) || string.IsNullOrEmpty(app) || string.IsNullOrEmpty(device)
            || !long.TryParse(ts, NumberStyles.None, CultureInfo.InvariantCulture, out var time) || time <= 0)
        {
            return null;
        }

        return new DeviceEventEntry(kind, time, app, device, version ?? "", channel ?? "", action, outcome, platform, build, plugin, custom, defaultChannel, emulator, prod);
    }

    /// <summary>Longer than any name this parser knows: a longer name is not one of them.</summary>
    private const int MaxNameLength = 16;

    /// <summary>The field name as characters in <paramref name="buffer"/> (ASCII), or empty when it cannot be a known one.</summary>
    private static ReadOnlySpan<char> Name(RedisValue name, Span<char> buffer)
    {
        var bytes = ((ReadOnlyMemory<byte>)name).Span;
        if (bytes.Length > buffer.Length)
        {
            return [];
        }

        for (var i = 0; i < bytes.Length; i++)
        {
            buffer[i] = (char)bytes[i];
        }

        return buffer[..bytes.Length];
    }
}

/// <summary>The counters of <see cref="DeviceEventEntry.Metric"/>.</summary>
public static class Metrics
{
    public const string Install = "install";
    public const string Fail = "fail";
    public const string Download = "download";
    public const string CheckPrefix = "check:";

    /// <summary>Separates channel, bundle and metric in a stats field (names may hold anything else).</summary>
    public const char Separator = '\u001f';

    public static string Field(string channel, string bundle, string metric) => channel + Separator + bundle + Separator + metric;
}

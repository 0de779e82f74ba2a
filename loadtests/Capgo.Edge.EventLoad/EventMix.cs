using System.Globalization;
using StackExchange.Redis;

namespace Capgo.Edge.EventLoad;

/// <summary>
/// Stream entries shaped as edges write them (docs/events.md), in a mix like real traffic: seven in ten
/// are update checks (mostly up to date, some offers, a few blocked), the rest plugin stats (installs,
/// downloads, app starts, failures). Devices are spread over five apps of unequal size, each device on
/// one platform and bundle track; one in five carries a custom id (pairs of devices share one). Times
/// rise through the last hour, as entries arrive from four edges. Everything drawn is tallied in
/// <see cref="Expected"/>, so the consumer's totals can be checked against it.
/// </summary>
internal sealed class EventMix
{
    private static readonly (string Id, double Weight, string[] Bundles)[] Apps =
    [
        ("com.shop.app", 0.45, ["3.2.0", "3.2.1", "3.3.0"]),
        ("com.news.reader", 0.25, ["1.8.4", "1.9.0", "2.0.0-rc.1"]),
        ("io.fitness.tracker", 0.15, ["5.0.2", "5.1.0", "5.1.1"]),
        ("com.bank.mobile", 0.10, ["10.4.0", "10.5.0", "10.5.1"]),
        ("dev.small.game", 0.05, ["0.9.0", "1.0.0", "1.0.1"]),
    ];

    private static readonly (string Outcome, double Weight)[] Outcomes =
    [
        ("no_new_version_available", 0.76), ("update_available", 0.15), ("disable_auto_update_to_major", 0.03),
        ("disable_auto_update_under_native", 0.02), ("no_channel", 0.02), ("already_on_builtin", 0.02),
    ];

    private static readonly (string Action, double Weight)[] Actions =
    [
        ("set", 0.30), ("download_complete", 0.30), ("app_moved_to_foreground", 0.25),
        ("download_fail", 0.07), ("update_fail", 0.04), ("decrypt_fail", 0.02), ("checksum_fail", 0.02),
    ];

    private static readonly string[] Edges = ["edge-eu-1", "edge-eu-2", "edge-us-1", "edge-ap-1"];

    private readonly Random _random;
    private readonly Device[] _devices;
    private readonly string[] _instances;
    private readonly long[] _seq;
    private readonly long _start;
    private readonly double _step;
    private long _drawn;

    public EventMix(int devices, long events, int seed, long nowMs)
    {
        _random = new Random(seed);
        _devices = new Device[devices];
        for (var i = 0; i < devices; i++)
        {
            _devices[i] = NewDevice(i);
        }

        _instances = [.. Edges.Select(_ => _random.NextInt64(0, 1L << 48).ToString("x12", CultureInfo.InvariantCulture))];
        _seq = new long[Edges.Length];
        _start = nowMs - 3_600_000;
        _step = 3_600_000.0 / Math.Max(events, 1);
        Expected = new Expected(devices);
    }

    /// <summary>What the entries drawn so far should add up to once counted.</summary>
    public Expected Expected { get; }

    /// <summary>The next entry, and its place in <see cref="Expected"/>.</summary>
    public NameValueEntry[] Next()
    {
        var index = _random.Next(_devices.Length);
        var device = _devices[index];
        var edge = _random.Next(Edges.Length);
        var ts = _start + (long)(_drawn++ * _step);
        var fields = new List<NameValueEntry>(24)
        {
            new("v", "2"),
            new("kind", ""), // set below
            new("ts", ts.ToString(CultureInfo.InvariantCulture)),
            new("edge", Edges[edge]),
            new("instance", _instances[edge]),
            new("seq", ++_seq[edge]),
            new("app_id", device.App),
            new("device_id", device.Id),
            new("platform", device.Platform),
        };

        // A device mostly runs its track's current bundle; some lag one behind.
        var bundles = Apps[device.AppIndex].Bundles;
        var bundle = bundles[_random.NextDouble() < 0.8 ? bundles.Length - 1 : bundles.Length - 2];
        string metric;
        string lastEvent;
        if (_random.NextDouble() < 0.7)
        {
            var outcome = Pick(Outcomes);
            fields[1] = new("kind", "check");
            fields.Add(new("version_name", bundle));
            fields.Add(new("version_build", device.Native));
            fields.Add(new("version_code", "412"));
            fields.Add(new("plugin_version", "8.51.23"));
            fields.Add(new("is_emulator", "false"));
            fields.Add(new("is_prod", "true"));
            fields.Add(new("channel", device.Channel));
            fields.Add(new("outcome", outcome));
            if (outcome == "update_available")
            {
                fields.Add(new("version", bundles[^1]));
            }

            metric = "check:" + outcome;
            lastEvent = metric;
        }
        else
        {
            var action = Pick(Actions);
            fields[1] = new("kind", "stats");
            fields.Add(new("action", action));
            fields.Add(new("version_name", bundle));
            fields.Add(new("old_version_name", bundles[0]));
            fields.Add(new("version_build", device.Native));
            fields.Add(new("version_code", "412"));
            fields.Add(new("version_os", device.Platform == "ios" ? "17.5" : "14"));
            fields.Add(new("plugin_version", "8.51.23"));
            fields.Add(new("is_emulator", "false"));
            fields.Add(new("is_prod", "true"));
            fields.Add(new("channel", device.Channel));
            if (action == "app_moved_to_foreground")
            {
                fields.Add(new("metadata", """{"screen":"home"}"""));
            }

            metric = action switch
            {
                "set" => "install",
                "download_complete" => "download",
                _ when action.EndsWith("_fail", StringComparison.Ordinal) => "fail",
                _ => "",
            };
            lastEvent = action;
        }

        if (device.CustomId is { } customId)
        {
            fields.Add(new("custom_id", customId));
        }

        if (device.DefaultChannel is { } defaultChannel)
        {
            fields.Add(new("default_channel", defaultChannel));
        }

        Expected.Add(index, device.App, bundle, ts, metric, lastEvent, device.CustomId);
        return [.. fields];
    }

    /// <summary>The registry key's app and device of device <paramref name="index"/>.</summary>
    public (string App, string Id) DeviceAt(int index) => (_devices[index].App, _devices[index].Id);

    private Device NewDevice(int i)
    {
        var draw = _random.NextDouble();
        var app = 0;
        for (var acc = Apps[0].Weight; draw > acc && app < Apps.Length - 1; acc += Apps[++app].Weight)
        {
        }

        Span<byte> bytes = stackalloc byte[16];
        _random.NextBytes(bytes);
        var id = new Guid(bytes).ToString("D");
        var ios = _random.NextDouble() < 0.45;

        // Every fifth device has a custom id; devices 10k and 10k+5 share one (a user with two phones, when both run the same app).
        var customId = i % 5 == 0 ? "user-" + (i / 10).ToString(CultureInfo.InvariantCulture) : null;
        return new Device(
            Apps[app].Id,
            app,
            id,
            ios ? "ios" : "android",
            _random.NextDouble() < 0.9 ? "production" : "beta",
            ios ? "17.0.1" : "4.12.0",
            customId,
            _random.NextDouble() < 0.1 ? "beta" : null);
    }

    private T Pick<T>((T Value, double Weight)[] choices)
    {
        var draw = _random.NextDouble();
        foreach (var (value, weight) in choices)
        {
            if ((draw -= weight) < 0)
            {
                return value;
            }
        }

        return choices[^1].Value;
    }

    private sealed record Device(string App, int AppIndex, string Id, string Platform, string Channel, string Native, string? CustomId, string? DefaultChannel);
}

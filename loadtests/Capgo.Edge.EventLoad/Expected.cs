namespace Capgo.Edge.EventLoad;

/// <summary>
/// What the written entries add up to, tallied as they are drawn: counts per metric, each device's last
/// event (the stream's order is the time order here), the devices active per bundle and day, those
/// reporting an install or failure per bundle and hour, and the custom-id index's members.
/// </summary>
internal sealed class Expected(int devices)
{
    private const long Hour = 3_600_000;
    private const long Day = 86_400_000;

    public long Events { get; private set; }

    /// <summary>Entries per counted metric (<c>check:&lt;outcome&gt;</c>, <c>install</c>, <c>fail</c>, <c>download</c>).</summary>
    public Dictionary<string, long> Metrics { get; } = new(StringComparer.Ordinal);

    /// <summary>Per device index: its last entry's time, event and bundle (time 0: it sent nothing).</summary>
    public (long Time, string Event, string Bundle)[] Last { get; } = new (long, string, string)[devices];

    /// <summary>(app, bundle, Unix day) → device indexes that sent anything.</summary>
    public Dictionary<(string App, string Bundle, long Day), HashSet<int>> Active { get; } = [];

    /// <summary>(app, bundle, Unix hour) → device indexes that reported an install or a failure.</summary>
    public Dictionary<(string App, string Bundle, long Hour), HashSet<int>> Reporters { get; } = [];

    /// <summary>(app, custom id, device index) the custom-id index should hold.</summary>
    public HashSet<(string App, string CustomId, int Device)> CustomIds { get; } = [];

    public void Add(int device, string app, string bundle, long ts, string metric, string lastEvent, string? customId)
    {
        Events++;
        if (metric.Length > 0)
        {
            Metrics[metric] = Metrics.GetValueOrDefault(metric) + 1;
        }

        Last[device] = (ts, lastEvent, bundle);
        Set(Active, (app, bundle, ts / Day)).Add(device);
        if (metric is "install" or "fail")
        {
            Set(Reporters, (app, bundle, ts / Hour)).Add(device);
        }

        if (customId is not null)
        {
            CustomIds.Add((app, customId, device));
        }
    }

    private static HashSet<int> Set<TKey>(Dictionary<TKey, HashSet<int>> sets, TKey key)
        where TKey : notnull =>
        sets.TryGetValue(key, out var set) ? set : sets[key] = [];
}

using System.ComponentModel.DataAnnotations;

namespace Capgo.Edge.ControlPlane.Analytics;

/// <summary>The event consumer (section <c>Analytics</c>), validated at start.</summary>
public sealed class AnalyticsOptions
{
    public const string Section = "Analytics";

    /// <summary>This consumer's name in the group; by default host-pid, unique per process.</summary>
    public string? ConsumerName { get; set; }

    /// <summary>Entries read and counted per batch (one script each).</summary>
    [Range(1, 10_000)]
    public int BatchSize { get; set; } = 500;

    /// <summary>How long an entry another consumer read stays pending before this one takes it over.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "01:00:00")]
    public TimeSpan ClaimAfter { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long to wait before reading again when the stream had nothing new.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:00:10")]
    public TimeSpan IdleDelay { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>How long a device's registry entry lives after its last event.</summary>
    [Range(typeof(TimeSpan), "01:00:00", "3650.00:00:00")]
    public TimeSpan DeviceRetention { get; set; } = TimeSpan.FromDays(90);

    /// <summary>How long per-minute counts are kept (short windows read them).</summary>
    [Range(typeof(TimeSpan), "01:00:00", "365.00:00:00")]
    public TimeSpan MinuteRetention { get; set; } = TimeSpan.FromDays(2);

    /// <summary>How long per-hour counts, daily active devices and rollout reporters are kept.</summary>
    [Range(typeof(TimeSpan), "1.00:00:00", "3650.00:00:00")]
    public TimeSpan HourRetention { get; set; } = TimeSpan.FromDays(35);
}

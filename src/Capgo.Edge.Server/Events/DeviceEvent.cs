using Capgo.Edge.Core;

namespace Capgo.Edge.Server.Events;

/// <summary>What produced a device event.</summary>
internal enum DeviceEventKind : byte
{
    /// <summary>A <c>POST /stats</c> event sent by the plugin.</summary>
    Stats,

    /// <summary>An update check the edge answered.</summary>
    Check,
}

/// <summary>
/// One device event on its way to the control plane (docs/events.md). Strings are stored as the edge
/// validated them; absent optional values are null. <see cref="Sequence"/> and
/// <see cref="TimestampMs"/> are stamped by <see cref="EventQueue.TryEnqueue"/>.
/// </summary>
internal readonly record struct DeviceEvent
{
    public DeviceEventKind Kind { get; init; }
    public string AppId { get; init; }

    /// <summary>Lower case.</summary>
    public string DeviceId { get; init; }

    public string? Platform { get; init; }
    public string? Action { get; init; }
    public string? VersionName { get; init; }
    public string? OldVersionName { get; init; }

    /// <summary>Normalised to semver (update-check.md §1).</summary>
    public string? VersionBuild { get; init; }

    public string? VersionCode { get; init; }
    public string? VersionOs { get; init; }
    public string? PluginVersion { get; init; }
    public bool IsEmulator { get; init; }
    public bool IsProd { get; init; }
    public string? CustomId { get; init; }

    /// <summary>Trimmed and lower-cased.</summary>
    public string? InstallSource { get; init; }

    public string? KeyId { get; init; }

    /// <summary>Stats: the channel the device reports; checks: the channel the edge chose.</summary>
    public string? Channel { get; init; }

    public string? DefaultChannel { get; init; }
    public IReadOnlyList<KeyValuePair<string, string>>? Metadata { get; init; }

    /// <summary>Checks: the outcome code (<c>update_available</c> or the error code of the reply).</summary>
    public string? Outcome { get; init; }

    /// <summary>Checks: the version offered, or the one a blocked reply names.</summary>
    public string? OfferedVersion { get; init; }

    /// <summary>Unix milliseconds when the edge accepted the event.</summary>
    public long TimestampMs { get; init; }

    /// <summary>Per-edge sequence number, from 1; a gap in the stream is an event dropped after acceptance.</summary>
    public long Sequence { get; init; }

    public const string UpdateAvailableCode = "update_available";

    /// <summary>The compact event of an answered update check.</summary>
    public static DeviceEvent ForCheck(in UpdateCheck check, in RawUpdateCheck raw, in UpdateDecision decision) => new()
    {
        Kind = DeviceEventKind.Check,
        AppId = check.AppId,
        DeviceId = check.DeviceId.ToLowerInvariant(),
        Platform = PlatformName(check.Platform),
        VersionName = check.VersionName,
        VersionBuild = check.VersionBuild,
        VersionCode = NullIfEmpty(raw.VersionCode),
        VersionOs = NullIfEmpty(raw.VersionOs),
        PluginVersion = check.PluginVersionText,
        IsEmulator = check.IsEmulator,
        IsProd = check.IsProd,
        CustomId = NullIfEmpty(raw.CustomId),
        InstallSource = InstallSources.Normalize(raw.InstallSource),
        KeyId = check.KeyId,
        DefaultChannel = check.DefaultChannel,
        Channel = decision.Channel?.Name,
        Outcome = decision.Outcome == Core.Outcome.UpdateAvailable ? UpdateAvailableCode : Outcomes.Code(decision.Outcome),
        OfferedVersion = decision.Outcome == Core.Outcome.UpdateAvailable ? decision.Bundle?.Name : decision.Version,
    };

    private static string PlatformName(Core.Platform platform) => platform switch
    {
        Core.Platform.Ios => "ios",
        Core.Platform.Android => "android",
        _ => "electron",
    };

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;
}

/// <summary>The <c>install_source</c> normalisation: trimmed, lower-cased, blank means absent.</summary>
internal static class InstallSources
{
    public static string? Normalize(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        return value.Trim().ToLowerInvariant();
    }
}

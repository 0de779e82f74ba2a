using Capgo.Edge.Core;

namespace Capgo.Edge.ControlPlane.Analytics;

/// <summary>
/// What an edge would answer a device now, from its registry entry and the app as published: the same
/// decision (<see cref="UpdateDecider"/>) an update check with the device's last-known fields gets.
/// </summary>
/// <param name="Outcome">The reply's code: <c>update_available</c> or an error code (update-check.md §2).</param>
/// <param name="Message">The reply's message for that code.</param>
/// <param name="Version">The bundle offered (or refused).</param>
/// <param name="Channel">The channel that answered, and how it was chosen (<paramref name="Source"/>).</param>
/// <param name="Source"><c>override</c>, <c>default_channel</c>, <c>public</c> or <c>none</c>.</param>
/// <param name="RolloutBucket">The device's bucket in the channel's rollout (0–9999), or -1.</param>
/// <param name="InRollout">The device falls inside the rollout's share.</param>
public sealed record DeviceExplanation(string Outcome, string Message, string? Version, string? Channel, string Source, int RolloutBucket, bool InRollout)
{
    /// <summary>The explanation, or the reason the entry cannot form a check (e.g. it never sent its plugin version).</summary>
    public static (DeviceExplanation? Explanation, string? Problem) Of(AppSnapshot app, DeviceEntry entry)
    {
        ArgumentNullException.ThrowIfNull(app);
        ArgumentNullException.ThrowIfNull(entry);
        var raw = new RawUpdateCheck
        {
            AppId = app.AppId,
            DeviceId = entry.DeviceId,
            VersionName = entry.Get("version_name"),
            VersionBuild = entry.Get("version_build"),
            Platform = entry.Get("platform"),
            PluginVersion = entry.Get("plugin_version"),
            IsEmulator = entry.Get("is_emulator") is { } emulator ? emulator == "true" : null,
            IsProd = entry.Get("is_prod") is { } prod ? prod == "true" : null,
            DefaultChannel = entry.Get("default_channel"),
        };
        if (RequestValidator.Validate(raw, out var check) is { } error)
        {
            return (null, $"the device's last event does not make an update check ({error.Code}: {error.Message})");
        }

        var decision = UpdateDecider.Decide(app, check);
        var code = Outcomes.Code(decision.Outcome);
        return (new DeviceExplanation(
            code.Length == 0 ? "update_available" : code, // an offer has no error code
            Outcomes.Message(decision, check),
            decision.Version,
            decision.Channel?.Name,
            decision.Source switch
            {
                ChannelSource.Override => "override",
                ChannelSource.DefaultChannel => "default_channel",
                ChannelSource.Public => "public",
                _ => "none",
            },
            decision.RolloutBucket,
            decision.InRollout), null);
    }
}

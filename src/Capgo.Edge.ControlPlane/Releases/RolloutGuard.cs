using System.Text.Json.Nodes;

namespace Capgo.Edge.ControlPlane.Releases;

/// <summary>
/// A rollout's health gate, stored with the rollout (<c>rollout.guard</c>): once at least
/// <paramref name="MinDevices"/> devices reported an install or a failure of the bundle since
/// <paramref name="Since"/> (Unix ms) and failures ÷ (installs + failures) is above
/// <paramref name="MaxFailureRateBps"/> (basis points), the rollout is paused.
/// </summary>
public sealed record RolloutGuard(int MaxFailureRateBps, long MinDevices, long Since)
{
    /// <summary>True when these figures trip the guard.</summary>
    public bool Trips(long installs, long failures, long devices) =>
        devices >= MinDevices && installs + failures > 0 && failures * 10_000 > (long)MaxFailureRateBps * (installs + failures);

    public JsonObject ToJson() => new()
    {
        ["max_failure_rate_bps"] = MaxFailureRateBps,
        ["min_devices"] = MinDevices,
        ["since"] = Since,
    };

    /// <summary>The guard of a rollout object, or null when it has none or it is malformed (then nothing is paused).</summary>
    public static RolloutGuard? Of(JsonObject? rollout)
    {
        if (rollout?["guard"] is not JsonObject guard)
        {
            return null;
        }

        try
        {
            return new RolloutGuard((int)guard["max_failure_rate_bps"]!, (long)guard["min_devices"]!, (long)guard["since"]!);
        }
        catch (Exception ex) when (ex is InvalidOperationException or FormatException or NullReferenceException)
        {
            return null;
        }
    }
}

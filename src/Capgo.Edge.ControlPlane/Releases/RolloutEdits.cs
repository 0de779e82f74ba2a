using System.Globalization;
using System.Text.Json.Nodes;
using Capgo.Edge.Core;
using Capgo.Edge.Redis;

namespace Capgo.Edge.ControlPlane.Releases;

/// <summary>
/// Percentage rollouts on a channel (update-check.md §3). A device's bucket depends on the rollout id
/// and the device only, so changing the percentage of one rollout keeps every device already in it.
/// </summary>
public static class RolloutEdits
{
    /// <summary>Starts a rollout of <paramref name="bundle"/> to <paramref name="bps"/> basis points; refused while one runs.</summary>
    /// <remarks>
    /// With a <paramref name="guard"/>, the control-plane service pauses the rollout when the bundle's
    /// devices fail too often (<see cref="RolloutGuard"/>); edges ignore the guard.
    /// </remarks>
    public static void Start(JsonObject document, string channelName, string bundle, int bps, string? id = null, RolloutGuard? guard = null)
    {
        var channel = ChannelEdits.Get(document, channelName);
        if (channel["rollout"] is JsonObject running)
        {
            throw new PublishException($"channel {channelName} already rolls out {(string?)running["bundle"]}: set, promote or abort it first");
        }

        channel["rollout"] = new JsonObject
        {
            ["id"] = id ?? Guid.NewGuid().ToString("N"),
            ["bundle"] = bundle,
            ["percentage_bps"] = CheckBps(bps),
            ["enabled"] = true,
            ["paused"] = false,
        };
        if (guard is not null)
        {
            channel["rollout"]!["guard"] = guard.ToJson();
        }
    }

    /// <summary>Changes the share of the running rollout; its id stays, so its devices stay in it.</summary>
    public static void SetPercentage(JsonObject document, string channelName, int bps) =>
        Running(document, channelName)["percentage_bps"] = CheckBps(bps);

    public static void Pause(JsonObject document, string channelName) => Running(document, channelName)["paused"] = true;

    public static void Resume(JsonObject document, string channelName) => Resume(document, channelName, null);

    /// <summary>Resumes; a guard then counts from <paramref name="nowMs"/>, so the failures that paused it do not pause it again.</summary>
    public static void Resume(JsonObject document, string channelName, long? nowMs)
    {
        var rollout = Running(document, channelName);
        rollout["paused"] = false;
        if (nowMs is { } now && rollout["guard"] is JsonObject guard)
        {
            guard["since"] = now;
        }
    }

    /// <summary>Points the channel at the rollout's bundle and ends the rollout.</summary>
    public static void Promote(JsonObject document, string channelName)
    {
        var rollout = Running(document, channelName);
        var channel = ChannelEdits.Get(document, channelName);
        channel["bundle"] = (string?)rollout["bundle"];
        channel.Remove("rollout");
    }

    /// <summary>Ends the rollout; the channel keeps its bundle.</summary>
    public static void Abort(JsonObject document, string channelName)
    {
        _ = Running(document, channelName);
        ChannelEdits.Get(document, channelName).Remove("rollout");
    }

    /// <summary>A percentage as the command line takes it (<c>12.5</c>) in basis points (1250); null when it is not one.</summary>
    public static int? ParsePercent(string text) =>
        decimal.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var percent) &&
        percent is >= 0 and <= 100 && decimal.Round(percent * 100) == percent * 100
            ? (int)(percent * 100)
            : null;

    private static JsonObject Running(JsonObject document, string channelName) =>
        ChannelEdits.Get(document, channelName)["rollout"] as JsonObject
        ?? throw new PublishException($"channel {channelName} has no rollout");

    private static int CheckBps(int bps) =>
        bps is >= 0 and <= RolloutBucket.Buckets ? bps : throw new PublishException($"a rollout share must be 0–100 % (0–{RolloutBucket.Buckets} bps), not {bps} bps");
}

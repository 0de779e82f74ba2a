using System.CommandLine;
using System.Text.Json.Nodes;
using Capgo.Edge.ControlPlane.Releases;

namespace Capgo.Edge.Cli.Commands;

/// <summary>
/// <c>rollout start|set|pause|resume|promote|abort --app A --channel C</c>: a percentage rollout of a
/// bundle on a channel. The rollout keeps its id through <c>set</c>, so raising the share keeps every
/// device already in it.
/// </summary>
internal static class RolloutCommand
{
    public static Command Create(CliContext context) =>
        new("rollout", "roll a bundle out to a share of a channel's devices")
        {
            CreateStart(context),
            CreateSet(context),
            CreateOnChannel(context, "pause", "stop moving devices onto the rollout's bundle, keeping the share", RolloutEdits.Pause),
            CreateOnChannel(context, "resume", "resume a paused rollout", RolloutEdits.Resume),
            CreateOnChannel(context, "promote", "point the channel at the rollout's bundle and end the rollout", RolloutEdits.Promote),
            CreateOnChannel(context, "abort", "end the rollout; the channel keeps its bundle", RolloutEdits.Abort),
        };

    private static Command CreateStart(CliContext context)
    {
        var (channel, percent) = (ReleaseOptions.Channel(), ReleaseOptions.Percent());
        var bundle = new Option<string>("--bundle") { Description = "the bundle to roll out (required)", HelpName = "N" };
        return ReleaseWrite.Create(context, "rollout start", "start rolling a bundle out to a share of the channel", [channel, bundle, percent], [], parsed =>
        {
            var (name, target, bps) = (parsed.GetRequiredValue(channel), parsed.GetRequiredValue(bundle), parsed.GetValue(percent));
            return document => RolloutEdits.Start(document, name, target, bps);
        });
    }

    private static Command CreateSet(CliContext context)
    {
        var (channel, percent) = (ReleaseOptions.Channel(), ReleaseOptions.Percent());
        return ReleaseWrite.Create(context, "rollout set", "change the running rollout's share", [channel, percent], [], parsed =>
        {
            var (name, bps) = (parsed.GetRequiredValue(channel), parsed.GetValue(percent));
            return document => RolloutEdits.SetPercentage(document, name, bps);
        });
    }

    private static Command CreateOnChannel(CliContext context, string name, string description, Action<JsonObject, string> edit)
    {
        var channel = ReleaseOptions.Channel();
        return ReleaseWrite.Create(context, $"rollout {name}", description, [channel], [], parsed =>
        {
            var target = parsed.GetRequiredValue(channel);
            return document => edit(document, target);
        });
    }
}

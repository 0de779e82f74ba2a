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
            CreateResume(context),
            CreateOnChannel(context, "promote", "point the channel at the rollout's bundle and end the rollout", RolloutEdits.Promote),
            CreateOnChannel(context, "abort", "end the rollout; the channel keeps its bundle", RolloutEdits.Abort),
        };

    private static Command CreateStart(CliContext context)
    {
        var (channel, percent) = (ReleaseOptions.Channel(), ReleaseOptions.Percent());
        var bundle = new Option<string>("--bundle") { Description = "the bundle to roll out (required)", HelpName = "N" };
        var maxFailureRate = ReleaseOptions.Percent("--max-failure-rate", "pause the rollout when failures ÷ (installs + failures) of its bundle go above this percentage (needs the control-plane service)");
        var minDevices = new Option<long>("--min-devices")
        {
            Description = $"with --max-failure-rate: how many devices must have reported an install or a failure first (default {DefaultMinDevices})",
            HelpName = "N",
        };
        var command = ReleaseWrite.Create(context, "rollout start", "start rolling a bundle out to a share of the channel", [channel, bundle, percent], [maxFailureRate, minDevices], parsed =>
        {
            var (name, target, bps) = (parsed.GetRequiredValue(channel), parsed.GetRequiredValue(bundle), parsed.GetValue(percent));
            var guard = CliOptions.Given(parsed, maxFailureRate)
                ? new RolloutGuard(parsed.GetValue(maxFailureRate), CliOptions.Given(parsed, minDevices) ? parsed.GetValue(minDevices) : DefaultMinDevices, TimeProvider.System.GetUtcNow().ToUnixTimeMilliseconds())
                : null;
            return document => RolloutEdits.Start(document, name, target, bps, guard: guard);
        });
        command.Validators.Add(result =>
        {
            if (CliOptions.Given(result, minDevices) && !CliOptions.Given(result, maxFailureRate))
            {
                result.AddError("--min-devices goes with --max-failure-rate for 'rollout start'");
            }

            if (CliOptions.Given(result, minDevices) && result.GetValue(minDevices) < 1)
            {
                result.AddError("--min-devices must be at least 1");
            }
        });
        return command;
    }

    private const long DefaultMinDevices = 20;

    /// <summary>Resumes; a guard counts again from now, so the failures that paused it do not pause it again at once.</summary>
    private static Command CreateResume(CliContext context)
    {
        var channel = ReleaseOptions.Channel();
        return ReleaseWrite.Create(context, "rollout resume", "resume a paused rollout (its guard counts from now)", [channel], [], parsed =>
        {
            var (target, now) = (parsed.GetRequiredValue(channel), TimeProvider.System.GetUtcNow().ToUnixTimeMilliseconds());
            return document => RolloutEdits.Resume(document, target, now);
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

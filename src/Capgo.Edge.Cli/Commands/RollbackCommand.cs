using System.CommandLine;

namespace Capgo.Edge.Cli.Commands;

/// <summary>
/// <c>rollback --app A --channel C [--to N]</c>: points the channel back at its previous distinct bundle
/// (from its history) or at <c>--to</c>, ending any rollout on it.
/// </summary>
internal static class RollbackCommand
{
    public static Command Create(CliContext context)
    {
        var channel = ReleaseOptions.Channel();
        var to = new Option<string>("--to") { Description = "the bundle to go back to (default: the channel's previous bundle)", HelpName = "N" };
        return ReleaseWrite.Create(
            context,
            "rollback",
            "point a channel back at its previous bundle (or --to) and end its rollout",
            [channel],
            [to],
            (parsed, store, appId) => store.Operations.RollbackEditAsync(appId, parsed.GetRequiredValue(channel), parsed.GetValue(to)));
    }
}

using System.CommandLine;

namespace Capgo.Edge.Cli.Commands;

/// <summary><c>delete --app A</c>: edges stop serving the app.</summary>
internal static class DeleteCommand
{
    public static Command Create(CliContext context) =>
        AppCommand.Create(context, "delete", "delete an app; edges stop serving it", async (publisher, appId) =>
        {
            var generation = await publisher.DeleteAsync(appId).ConfigureAwait(false);
            await context.Output.WriteLineAsync($"deleted {appId} (generation {generation})").ConfigureAwait(false);
            return ExitCodes.Ok;
        });
}

using System.CommandLine;

namespace Capgo.Edge.Cli.Commands;

/// <summary><c>delete --app A</c>: edges stop serving the app.</summary>
internal static class DeleteCommand
{
    public static Command Create(CliContext context)
    {
        var app = CliOptions.App();
        var command = new Command("delete", "delete an app; edges stop serving it") { app };
        CliOptions.Require(command, "delete", app);
        command.SetAction((parsed, _) => context.WithPublisherAsync(parsed, async publisher =>
        {
            var appId = parsed.GetRequiredValue(app);
            var generation = await publisher.DeleteAsync(appId).ConfigureAwait(false);
            await context.Output.WriteLineAsync($"deleted {appId} (generation {generation})").ConfigureAwait(false);
            return ExitCodes.Ok;
        }));
        return command;
    }
}

using System.CommandLine;
using Capgo.Edge.ControlPlane;

namespace Capgo.Edge.Cli.Commands;

/// <summary>The shape of the commands that act on one app named by a required <c>--app</c>.</summary>
internal static class AppCommand
{
    public static Command Create(CliContext context, string name, string description, Func<ProjectionPublisher, string, Task<int>> body)
    {
        var app = CliOptions.App();
        var command = new Command(name, description) { app };
        CliOptions.Require(command, name, app);
        command.SetAction((parsed, _) => context.WithPublisherAsync(parsed, publisher => body(publisher, parsed.GetRequiredValue(app))));
        return command;
    }

    /// <summary>The refusal for an app that is not in Redis (exit 2).</summary>
    public static async Task<int> NotPublishedAsync(CliContext context, string appId)
    {
        await context.FailAsync($"app {appId} is not published").ConfigureAwait(false);
        return ExitCodes.Refused;
    }
}

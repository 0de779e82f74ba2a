using System.CommandLine;
using System.Text;

namespace Capgo.Edge.Cli.Commands;

/// <summary>
/// <c>show --app A</c>: prints the app's whole current document, device overrides included, as JSON
/// that <c>publish</c> accepts unchanged.
/// </summary>
internal static class ShowCommand
{
    public static Command Create(CliContext context)
    {
        var app = CliOptions.App();
        var command = new Command("show", "print a published app's current document as publishable JSON") { app };
        CliOptions.Require(command, "show", app);
        command.SetAction((parsed, _) => context.WithPublisherAsync(parsed, async publisher =>
        {
            var appId = parsed.GetRequiredValue(app);
            var document = await publisher.GetDocumentAsync(appId).ConfigureAwait(false);
            if (document is null)
            {
                await context.FailAsync($"app {appId} is not published").ConfigureAwait(false);
                return ExitCodes.Refused;
            }

            await context.Output.WriteLineAsync(Encoding.UTF8.GetString(document)).ConfigureAwait(false);
            return ExitCodes.Ok;
        }));
        return command;
    }
}

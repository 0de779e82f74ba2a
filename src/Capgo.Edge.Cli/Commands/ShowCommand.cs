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
        command.SetAction((parsed, _) => context.WithReleasesAsync(parsed, async store =>
        {
            var appId = parsed.GetRequiredValue(app);
            var document = await store.Store.GetDocumentAsync(appId).ConfigureAwait(false);
            if (document is null)
            {
                return await AppCommand.NotPublishedAsync(context, appId).ConfigureAwait(false);
            }

            await context.Output.WriteLineAsync(Encoding.UTF8.GetString(document)).ConfigureAwait(false);
            return ExitCodes.Ok;
        }));
        return command;
    }
}

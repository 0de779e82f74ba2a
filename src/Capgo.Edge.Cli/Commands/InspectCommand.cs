using System.CommandLine;

namespace Capgo.Edge.Cli.Commands;

/// <summary><c>inspect --app A</c>: the app as stored, and which live edges serve its current generations.</summary>
internal static class InspectCommand
{
    public static Command Create(CliContext context) =>
        AppCommand.Create(context, "inspect", "summarize a published app and what each live edge serves of it", async (publisher, appId) =>
        {
            var info = await publisher.InspectAsync(appId).ConfigureAwait(false);
            if (info is null)
            {
                return await AppCommand.NotPublishedAsync(context, appId).ConfigureAwait(false);
            }

            await context.Output.WriteLineAsync($"""
                app:        {info.AppId}
                status:     {info.Status}
                generation: {info.Generation}
                overrides:  {info.Overrides} (generation {info.OverridesGeneration})
                bundles:    {info.Bundles}
                channels:   {string.Join(", ", info.Channels)}
                edges:      {info.Edges.Count} live
                """).ConfigureAwait(false);
            foreach (var edge in info.Edges)
            {
                var state = edge.Generation == info.Generation && edge.OverridesGeneration == info.OverridesGeneration ? "current" : "behind";
                await context.Output.WriteLineAsync($"  {edge.Edge}: generation {edge.Generation}, overrides {edge.OverridesGeneration} ({state})").ConfigureAwait(false);
            }

            return ExitCodes.Ok;
        });
}

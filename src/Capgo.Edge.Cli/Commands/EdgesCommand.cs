using System.CommandLine;

namespace Capgo.Edge.Cli.Commands;

/// <summary><c>edges</c>: the edges whose heartbeat is recent.</summary>
internal static class EdgesCommand
{
    public static Command Create(CliContext context)
    {
        var command = new Command("edges", "list the live edges");
        command.SetAction((parsed, _) => context.WithPublisherAsync(parsed, async publisher =>
        {
            var edges = await publisher.LiveEdgesAsync().ConfigureAwait(false);
            await context.Output.WriteLineAsync($"{edges.Count} live edges").ConfigureAwait(false);
            foreach (var edge in edges)
            {
                await context.Output.WriteLineAsync("  " + edge).ConfigureAwait(false);
            }

            return ExitCodes.Ok;
        }));
        return command;
    }
}

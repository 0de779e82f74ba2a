using System.CommandLine;
using Capgo.Edge.ControlPlane;

namespace Capgo.Edge.Cli.Commands;

/// <summary><c>--wait</c>: after a change, waits for every live edge to serve it, else names the laggards.</summary>
internal static class EdgeWait
{
    /// <summary>Adds <c>--wait</c> and <c>--timeout</c> to a command that changes something.</summary>
    public static void AddTo(Command command, CliOptions options)
    {
        command.Options.Add(options.Wait);
        command.Options.Add(options.Timeout);
    }

    public static async Task<int> RunAsync(CliContext context, ParseResult parsed, ProjectionPublisher publisher, string appId, long generation, bool overrides, bool quiet = false)
    {
        if (!parsed.GetValue(context.Options.Wait))
        {
            return ExitCodes.Ok;
        }

        var timeout = !CliOptions.Given(parsed, context.Options.Timeout) ? CliOptions.DefaultTimeout : parsed.GetValue(context.Options.Timeout);
        var started = TimeProvider.System.GetTimestamp();
        var result = await publisher.WaitForEdgesAsync(appId, generation, overrides, timeout).ConfigureAwait(false);
        var elapsed = TimeProvider.System.GetElapsedTime(started);
        if (result.AllServing)
        {
            // With --json, standard output holds the one JSON value only.
            if (!quiet)
            {
                await context.Output.WriteLineAsync($"served by all {result.Serving.Count} live edges after {elapsed.TotalMilliseconds:F0} ms").ConfigureAwait(false);
            }

            return ExitCodes.Ok;
        }

        await context.FailAsync(
            $"after {timeout.TotalSeconds:F1} s, {result.Lagging.Count} of {result.Serving.Count + result.Lagging.Count} live edges do not serve generation {generation} of {appId}: {string.Join(", ", result.Lagging)}").ConfigureAwait(false);
        return ExitCodes.Lagging;
    }
}

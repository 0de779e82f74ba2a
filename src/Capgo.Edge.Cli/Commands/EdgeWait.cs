using System.CommandLine;
using Capgo.Edge.ControlPlane;

namespace Capgo.Edge.Cli.Commands;

/// <summary>
/// <c>--wait</c>: after a change, waits for every live edge to serve it, else names the laggards. On a
/// terminal it shows how many edges serve the change while it waits; with <c>--json</c> or redirected
/// output it stays quiet.
/// </summary>
internal static class EdgeWait
{
    /// <summary>Adds <c>--wait</c> and <c>--timeout</c> to a command that changes something.</summary>
    public static void AddTo(Command command, CliOptions options)
    {
        command.Options.Add(options.Wait);
        command.Options.Add(options.Timeout);
    }

    /// <summary>Waits for the app's document at <paramref name="generation"/>, in whichever store holds it.</summary>
    public static Task<int> RunAsync(CliContext context, ParseResult parsed, AppStore store, string appId, long generation, bool quiet = false) =>
        RunAsync(context, parsed, appId, generation, quiet, (timeout, progress) => store.WaitForEdgesAsync(appId, generation, timeout, progress));

    /// <summary>Waits for the app's device overrides at <paramref name="generation"/> (Redis only).</summary>
    public static Task<int> RunForOverridesAsync(CliContext context, ParseResult parsed, ProjectionPublisher publisher, string appId, long generation) =>
        RunAsync(context, parsed, appId, generation, quiet: false, (timeout, progress) => publisher.WaitForEdgesAsync(appId, generation, overrides: true, timeout, progress));

    private static async Task<int> RunAsync(CliContext context, ParseResult parsed, string appId, long generation, bool quiet, Func<TimeSpan, IProgress<WaitResult>?, Task<WaitResult>> wait)
    {
        if (!parsed.GetValue(context.Options.Wait))
        {
            return ExitCodes.Ok;
        }

        var timeout = !CliOptions.Given(parsed, context.Options.Timeout) ? CliOptions.DefaultTimeout : parsed.GetValue(context.Options.Timeout);
        var started = TimeProvider.System.GetTimestamp();
        var line = !quiet && context.Interactive ? new ProgressLine(context.Error, generation) : null;
        var result = await wait(timeout, line).ConfigureAwait(false);
        line?.Clear();
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

    /// <summary>One line on a terminal, rewritten in place as edges catch up.</summary>
    private sealed class ProgressLine(TextWriter writer, long generation) : IProgress<WaitResult>
    {
        private int _width;

        public void Report(WaitResult value)
        {
            var text = $"waiting: {value.Serving.Count} of {value.Serving.Count + value.Lagging.Count} edges serve generation {generation}; lagging: {string.Join(", ", value.Lagging.Take(3))}{(value.Lagging.Count > 3 ? ", …" : "")}";
            writer.Write("\r" + text.PadRight(_width));
            _width = text.Length;
        }

        public void Clear()
        {
            if (_width > 0)
            {
                writer.Write("\r" + new string(' ', _width) + "\r");
            }
        }
    }
}

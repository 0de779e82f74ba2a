using System.CommandLine;
using System.Globalization;
using Capgo.Edge.ControlPlane.Analytics;
using Capgo.Edge.ControlPlane.Stores;

namespace Capgo.Edge.Cli.Commands;

/// <summary>
/// <c>stats --app A [--channel C] [--window 1h|24h|7d]</c>: per bundle, what the control-plane service
/// counted from device events: active devices, checks, installs, failures, downloads, failure rate.
/// </summary>
internal static class StatsCommand
{
    private static readonly Dictionary<string, TimeSpan> Windows = new(StringComparer.Ordinal)
    {
        ["1h"] = TimeSpan.FromHours(1),
        ["24h"] = TimeSpan.FromHours(24),
        ["7d"] = TimeSpan.FromDays(7),
    };

    public static Command Create(CliContext context)
    {
        var app = CliOptions.App();
        var channel = new Option<string>("--channel") { Description = "only events of this channel (default: every channel)", HelpName = "C" };
        var window = ReleaseOptions.OneOf("--window", "how far back (default 24h)", [.. Windows.Keys]);
        var command = new Command("stats", "per bundle: active devices, checks, installs, failures and failure rate, from device events") { app, channel, window, context.Release.Json };
        CliOptions.Require(command, "stats", app);
        command.SetAction((parsed, _) =>
        {
            var (appId, name, only) = (parsed.GetRequiredValue(app), parsed.GetValue(window) ?? "24h", parsed.GetValue(channel));
            return CliOptions.Given(parsed, context.Options.Api)
                ? context.WithReleasesAsync(parsed, async store => await PrintAsync(context, parsed, await ((ApiAppStore)store.Store).StatsAsync(appId, name, only).ConfigureAwait(false)).ConfigureAwait(false))
                : context.WithRedisAsync(parsed, async (redis, layout) => await PrintAsync(context, parsed, await new ReleaseStats(redis, layout).ReadAsync(appId, Windows[name], only).ConfigureAwait(false)).ConfigureAwait(false));
        });
        return command;
    }

    private static async Task<int> PrintAsync(CliContext context, ParseResult parsed, IReadOnlyList<BundleStats> bundles)
    {
        var rows = bundles;
        if (parsed.GetValue(context.Release.Json))
        {
            await JsonOutput.WriteAsync(context, rows, ReleaseJson.Relaxed.IReadOnlyListBundleStats).ConfigureAwait(false);
            return ExitCodes.Ok;
        }

        if (rows.Count == 0)
        {
            await context.Output.WriteLineAsync("no events in the window (is the control-plane service running?)").ConfigureAwait(false);
        }

        foreach (var row in rows)
        {
            var rate = row.FailureRate is { } r ? (r * 100).ToString("0.##", CultureInfo.InvariantCulture) + " %" : "–";
            await context.Output.WriteLineAsync(
                $"{row.Bundle}  active {row.ActiveDevices}  checks {row.Checks}  installs {row.Installs}  failures {row.Failures}  downloads {row.Downloads}  failure rate {rate}").ConfigureAwait(false);
        }

        return ExitCodes.Ok;
    }
}

using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Capgo.Edge.ControlPlane;
using Capgo.Edge.ControlPlane.Releases;

namespace Capgo.Edge.Cli.Commands;

/// <summary>
/// <c>history --app A [--channel C]</c>: the changes of a channel, or of every current channel, newest
/// first. Without <c>--channel</c> the channels come from the current document, so a deleted channel's
/// history is read with <c>--channel</c>.
/// </summary>
internal static class HistoryCommand
{
    public static Command Create(CliContext context)
    {
        var channel = new Option<string>("--channel") { Description = "only this channel (default: every channel of the app)", HelpName = "C" };
        return ReleaseWrite.CreateRead(context, "history", "list the release changes of an app's channels, newest first", [channel], async (parsed, store, appId, json) =>
        {
            var entries = new List<HistoryEntry>();
            if (parsed.GetValue(channel) is { } name)
            {
                entries.AddRange(await store.History.ReadAsync(appId, name).ConfigureAwait(false));
            }
            else
            {
                var (document, _) = await ReleaseWrite.ReadAsync(store, appId).ConfigureAwait(false);
                foreach (var item in (document["channels"] as JsonArray ?? []).OfType<JsonObject>())
                {
                    entries.AddRange(await store.History.ReadAsync(appId, (string?)item["name"] ?? "").ConfigureAwait(false));
                }
            }

            // Per channel the list is newest first already; across channels the generation orders them.
            var rows = entries
                .OrderByDescending(static e => e.Generation)
                .ThenBy(static e => e.Channel, StringComparer.Ordinal)
                .Select(static e => new HistoryRow(e.Channel, e.Generation, e.Time, e.Actor, e.Operation, e.BundleBefore, e.BundleAfter, RolloutRow.From(e.Rollout)) { Note = e.Note })
                .ToList();
            if (json)
            {
                await JsonOutput.WriteAsync(context, rows, ReleaseJson.Relaxed.ListHistoryRow).ConfigureAwait(false);
                return ExitCodes.Ok;
            }

            foreach (var row in rows)
            {
                var bundles = row.BundleBefore == row.BundleAfter ? $"bundle {Bundle(row.BundleAfter)}" : $"bundle {Bundle(row.BundleBefore)} -> {Bundle(row.BundleAfter)}";
                var rollout = row.Rollout is null ? "" : $", {row.Rollout}";
                await context.Output.WriteLineAsync(
                    $"generation {row.Generation}  {row.Time.ToString("u", CultureInfo.InvariantCulture)}  {row.Channel}  {row.Operation} by {row.Actor}: {bundles}{rollout}{(row.Note is null ? "" : $" ({row.Note})")}").ConfigureAwait(false);
            }

            return ExitCodes.Ok;
        });
    }

    private static string Bundle(string? name) => name ?? ChannelEdits.Builtin;
}

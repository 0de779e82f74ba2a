using System.CommandLine;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Capgo.Edge.ControlPlane;
using Capgo.Edge.Core;
using Capgo.Edge.Redis;

namespace Capgo.Edge.Cli.Commands;

/// <summary>
/// The shapes of the release commands. A write is one edit of the stored app document, applied by
/// <see cref="AppChanges"/> (atomic, retried on concurrent changes, recorded in the history under the
/// command's path) and followed by the same options everywhere: <c>--if-generation</c>, <c>--dry-run</c>,
/// <c>--actor</c>, <c>--json</c>, <c>--wait</c> and <c>--timeout</c>. A read takes <c>--app</c> and <c>--json</c>.
/// </summary>
internal static class ReleaseWrite
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>Makes the edit from the command's option values, before anything is read.</summary>
    public static Command Create(CliContext context, string path, string description, Option[] required, Option[] optional, Func<ParseResult, Action<JsonObject>> edit) =>
        Create(context, path, description, required, optional, (parsed, _, _) => Task.FromResult(edit(parsed)));

    /// <summary>
    /// Makes the edit with access to Redis (a rollback reads the history first). The edit may run more
    /// than once, on a fresher document each time, so it reads nothing itself.
    /// </summary>
    public static Command Create(
        CliContext context,
        string path,
        string description,
        Option[] required,
        Option[] optional,
        Func<ParseResult, ReleaseStore, string, Task<Action<JsonObject>>> edit)
    {
        var app = CliOptions.App();
        var command = new Command(path.Split(' ')[^1], description) { app };
        foreach (var option in required.Concat(optional))
        {
            command.Options.Add(option);
        }

        CliOptions.Require(command, path, [app, .. required]);
        var release = context.Release;
        command.Options.Add(release.IfGeneration);
        command.Options.Add(release.DryRun);
        command.Options.Add(release.Actor);
        command.Options.Add(release.Json);
        EdgeWait.AddTo(command, context.Options);
        command.SetAction((parsed, _) => context.WithReleasesAsync(parsed, async store =>
        {
            var appId = parsed.GetRequiredValue(app);
            var change = await edit(parsed, store, appId).ConfigureAwait(false);
            return parsed.GetValue(release.DryRun)
                ? await DryRunAsync(context, parsed, store, appId, path, change).ConfigureAwait(false)
                : await WriteAsync(context, parsed, store, appId, path, change).ConfigureAwait(false);
        }));
        return command;
    }

    /// <summary>A read command on one app: <c>--app</c>, <c>--json</c> and <paramref name="optional"/>.</summary>
    public static Command CreateRead(CliContext context, string path, string description, Option[] optional, Func<ParseResult, ReleaseStore, string, bool, Task<int>> body)
    {
        var app = CliOptions.App();
        var command = new Command(path.Split(' ')[^1], description) { app, context.Release.Json };
        foreach (var option in optional)
        {
            command.Options.Add(option);
        }

        CliOptions.Require(command, path, app);
        command.SetAction((parsed, _) => context.WithReleasesAsync(parsed, store =>
            body(parsed, store, parsed.GetRequiredValue(app), parsed.GetValue(context.Release.Json))));
        return command;
    }

    /// <summary>The stored document, or a refusal (exit 2) when the app is not published.</summary>
    public static async Task<(JsonObject Document, long Generation)> ReadAsync(ReleaseStore store, string appId) =>
        await store.Changes.ReadAsync(appId).ConfigureAwait(false) ?? throw new PublishException($"app {appId} is not published");

    private static async Task<int> WriteAsync(CliContext context, ParseResult parsed, ReleaseStore store, string appId, string path, Action<JsonObject> edit)
    {
        var release = context.Release;
        var change = await store.Operations.ApplyAsync(appId, new ChangeContext(release.ActorOf(parsed), path), edit, release.IfGenerationOf(parsed)).ConfigureAwait(false);
        var json = parsed.GetValue(release.Json);
        if (json)
        {
            await JsonOutput.WriteAsync(context, new WriteResult(appId, path, change.Before, change.After, change.Changed, DryRun: false), ReleaseJson.Relaxed.WriteResult).ConfigureAwait(false);
        }
        else
        {
            await context.Output.WriteLineAsync(change.Changed
                ? $"{path}: {appId} generation {change.Before} -> {change.After}"
                : $"{path}: nothing changed, {appId} stays at generation {change.Before}").ConfigureAwait(false);
        }

        return await EdgeWait.RunAsync(context, parsed, store.Store, appId, change.After, quiet: json).ConfigureAwait(false);
    }

    /// <summary>
    /// Applies the edit to a copy of the stored document and validates the result as a publish would, so
    /// a dry run refuses what the write would refuse; prints the diff of the indented documents.
    /// </summary>
    private static async Task<int> DryRunAsync(CliContext context, ParseResult parsed, ReleaseStore store, string appId, string path, Action<JsonObject> edit)
    {
        var (document, generation) = await ReadAsync(store, appId).ConfigureAwait(false);
        if (context.Release.IfGenerationOf(parsed) is { } expected && expected != generation)
        {
            throw new StaleGenerationException($"app {appId} is at generation {generation}, not {expected}");
        }

        var after = (JsonObject)document.DeepClone();
        edit(after);
        try
        {
            AppDocument.Parse(Encoding.UTF8.GetBytes(after.ToJsonString()), 0);
        }
        catch (ProjectionException ex)
        {
            throw new PublishException($"{ex.Field}: {ex.Problem}", ex);
        }

        var diff = LineDiff.Of(document.ToJsonString(Indented), after.ToJsonString(Indented));
        if (parsed.GetValue(context.Release.Json))
        {
            var result = new WriteResult(appId, path, generation, generation, diff.Count > 0, DryRun: true) { Diff = diff };
            await JsonOutput.WriteAsync(context, result, ReleaseJson.Relaxed.WriteResult).ConfigureAwait(false);
            return ExitCodes.Ok;
        }

        await context.Output.WriteLineAsync(diff.Count > 0
            ? $"{path} (dry run): would change {appId} at generation {generation}; nothing written"
            : $"{path} (dry run): nothing would change in {appId} at generation {generation}").ConfigureAwait(false);
        foreach (var line in diff)
        {
            await context.Output.WriteLineAsync(line).ConfigureAwait(false);
        }

        return ExitCodes.Ok;
    }
}

using System.CommandLine;
using System.Text;
using Capgo.Edge.ControlPlane.Analytics;
using Capgo.Edge.ControlPlane.Stores;
using Capgo.Edge.Core;

namespace Capgo.Edge.Cli.Commands;

/// <summary>
/// <c>devices --app A (--device D | --custom-id X)</c>: the registry entry the control-plane service keeps
/// per device and, when the app is published, what an edge would answer the device now, and why.
/// </summary>
internal static class DevicesCommand
{
    public static Command Create(CliContext context)
    {
        var app = CliOptions.App();
        var device = new Option<string>("--device") { Description = "the device id", HelpName = "D" };
        var customId = new Option<string>("--custom-id") { Description = "the custom id the app set on its devices", HelpName = "X" };
        var command = new Command("devices", "look a device up by id or custom id: its last event and what an edge would answer it now") { app, device, customId, context.Release.Json };
        CliOptions.Require(command, "devices", app);
        command.Validators.Add(result =>
        {
            if (CliOptions.Given(result, device) == CliOptions.Given(result, customId))
            {
                result.AddError("pass one of --device and --custom-id for 'devices'");
            }
        });
        command.SetAction((parsed, _) =>
        {
            var (appId, id, custom) = (parsed.GetRequiredValue(app), parsed.GetValue(device), parsed.GetValue(customId));
            return CliOptions.Given(parsed, context.Options.Api)
                ? context.WithReleasesAsync(parsed, async store =>
                {
                    var entries = await ((ApiAppStore)store.Store).DevicesAsync(appId, id, custom).ConfigureAwait(false);
                    return await PrintAsync(context, parsed, appId, entries, await store.Store.GetDocumentAsync(appId).ConfigureAwait(false)).ConfigureAwait(false);
                })
                : context.WithRedisAsync(parsed, async (redis, layout) =>
                {
                    var registry = new DeviceRegistry(redis, layout);
                    var entries = id is not null
                        ? await registry.FindAsync(appId, id).ConfigureAwait(false) is { } one ? [one] : []
                        : await registry.FindByCustomIdAsync(appId, custom!).ConfigureAwait(false);
                    return await PrintAsync(context, parsed, appId, entries, await new RedisAppStore(redis, layout).GetDocumentAsync(appId).ConfigureAwait(false)).ConfigureAwait(false);
                });
        });
        return command;
    }

    private static async Task<int> PrintAsync(CliContext context, ParseResult parsed, string appId, IReadOnlyList<DeviceEntry> entries, byte[]? document)
    {
        if (entries.Count == 0)
        {
            await context.FailAsync($"no device of {appId} matches (none sent an event within the retention)").ConfigureAwait(false);
            return ExitCodes.Refused;
        }

        var snapshot = document is null ? null : AppDocument.Parse(document, 0);
        var rows = entries.Select(e =>
        {
            var (explanation, problem) = snapshot is null ? (null, $"app {appId} is not published") : DeviceExplanation.Of(snapshot, e);
            return new DeviceRow(e.DeviceId, e.LastSeen, e.Fields, explanation, problem);
        }).ToList();
        if (parsed.GetValue(context.Release.Json))
        {
            await JsonOutput.WriteAsync(context, rows, ReleaseJson.Relaxed.ListDeviceRow).ConfigureAwait(false);
            return ExitCodes.Ok;
        }

        foreach (var row in rows)
        {
            await context.Output.WriteLineAsync(Describe(row)).ConfigureAwait(false);
        }

        return ExitCodes.Ok;
    }

    private static string Describe(DeviceRow row)
    {
        var text = new StringBuilder($"{row.DeviceId}  last seen {row.LastSeen:u}");
        foreach (var field in new[] { "version_name", "version_build", "platform", "plugin_version", "channel", "custom_id", "last_event" })
        {
            if (row.Entry.TryGetValue(field, out var value))
            {
                text.Append($"  {field} {value}");
            }
        }

        text.AppendLine();
        text.Append(row.WouldAnswer is { } a
            ? $"  an edge would answer: {a.Outcome}{(a.Version is null ? "" : " " + a.Version)} from channel {a.Channel ?? "(none)"} ({a.Source}){(a.RolloutBucket >= 0 ? $", rollout bucket {a.RolloutBucket}{(a.InRollout ? " (in)" : " (out)")}" : "")}: {a.Message}"
            : $"  {row.Problem}");
        return text.ToString();
    }
}

using System.CommandLine;
using Capgo.Edge.ControlPlane.Keys;

namespace Capgo.Edge.Cli.Commands;

/// <summary>
/// <c>key create|list|revoke --app A</c>: the app's release-API keys. A key is printed once, at
/// creation; Redis keeps only its hash.
/// </summary>
internal static class KeyCommand
{
    public static Command Create(CliContext context) =>
        new("key", "create, list or revoke an app's release-API keys") { CreateCreate(context), CreateList(context), CreateRevoke(context) };

    private static Command CreateCreate(CliContext context)
    {
        var app = CliOptions.App();
        var name = new Option<string>("--name") { Description = "who uses the key, e.g. the pipeline: the actor of its changes (default: the app id + \" key\")", HelpName = "N" };
        var command = new Command("create", "create a key for the app; it is printed once") { app, name };
        CliOptions.Require(command, "key create", app);
        command.SetAction((parsed, _) => context.WithRedisAsync(parsed, async (redis, layout) =>
        {
            var appId = parsed.GetRequiredValue(app);
            var (key, info) = await new ApiKeys(redis, layout).CreateAsync(appId, parsed.GetValue(name) ?? appId + " key").ConfigureAwait(false);
            await context.Output.WriteLineAsync(key).ConfigureAwait(false);
            await context.Error.WriteLineAsync($"key {info.Id} for {appId} ({info.Name}): store it now (e.g. as CAPGO_EDGE_API_KEY); it is not shown again").ConfigureAwait(false);
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Command CreateList(CliContext context)
    {
        var app = CliOptions.App();
        var command = new Command("list", "list the app's keys (ids and names, never the keys)") { app };
        CliOptions.Require(command, "key list", app);
        command.SetAction((parsed, _) => context.WithRedisAsync(parsed, async (redis, layout) =>
        {
            foreach (var info in await new ApiKeys(redis, layout).ListAsync(parsed.GetRequiredValue(app)).ConfigureAwait(false))
            {
                await context.Output.WriteLineAsync($"{info.Id}  {info.Name}  created {info.Created:u}").ConfigureAwait(false);
            }

            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Command CreateRevoke(CliContext context)
    {
        var app = CliOptions.App();
        var key = new Option<string>("--key") { Description = "the key's id (from 'key list') or name (required)", HelpName = "ID" };
        var command = new Command("revoke", "revoke one of the app's keys: the API refuses it from then on") { app, key };
        CliOptions.Require(command, "key revoke", app, key);
        command.SetAction((parsed, _) => context.WithRedisAsync(parsed, async (redis, layout) =>
        {
            var info = await new ApiKeys(redis, layout).RevokeAsync(parsed.GetRequiredValue(app), parsed.GetRequiredValue(key)).ConfigureAwait(false);
            await context.Output.WriteLineAsync($"revoked key {info.Id} ({info.Name}) of {info.AppId}").ConfigureAwait(false);
            return ExitCodes.Ok;
        }));
        return command;
    }
}

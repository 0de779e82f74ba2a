using System.CommandLine;

namespace Capgo.Edge.Cli.Commands;

/// <summary><c>override set|remove --app A --device D [--channel C]</c>: pins one device, or unpins it.</summary>
internal static class OverrideCommand
{
    public static Command Create(CliContext context) =>
        new("override", "pin one device of an app to a channel, or remove its pin") { CreateSet(context), CreateRemove(context) };

    private static Command CreateSet(CliContext context)
    {
        var (app, device) = (CliOptions.App(), Device());
        var channel = new Option<string>("--channel") { Description = "the channel to pin the device to (required)", HelpName = "C" };
        var command = new Command("set", "pin a device to a channel") { app, device, channel };
        CliOptions.Require(command, "override set", app, device, channel);
        EdgeWait.AddTo(command, context.Options);
        command.SetAction((parsed, _) => context.WithPublisherAsync(parsed, async publisher =>
        {
            var (appId, deviceId, name) = (parsed.GetRequiredValue(app), parsed.GetRequiredValue(device), parsed.GetRequiredValue(channel));
            var generation = await publisher.SetOverrideAsync(appId, deviceId, name).ConfigureAwait(false);
            await context.Output.WriteLineAsync($"pinned {deviceId} of {appId} to {name} (overrides generation {generation})").ConfigureAwait(false);
            return await EdgeWait.RunForOverridesAsync(context, parsed, publisher, appId, generation).ConfigureAwait(false);
        }));
        return command;
    }

    private static Command CreateRemove(CliContext context)
    {
        var (app, device) = (CliOptions.App(), Device());
        var command = new Command("remove", "remove a device's pin") { app, device };
        CliOptions.Require(command, "override remove", app, device);
        EdgeWait.AddTo(command, context.Options);
        command.SetAction((parsed, _) => context.WithPublisherAsync(parsed, async publisher =>
        {
            var (appId, deviceId) = (parsed.GetRequiredValue(app), parsed.GetRequiredValue(device));
            var generation = await publisher.RemoveOverrideAsync(appId, deviceId).ConfigureAwait(false);
            await context.Output.WriteLineAsync($"removed the pin of {deviceId} in {appId} (overrides generation {generation})").ConfigureAwait(false);
            return await EdgeWait.RunForOverridesAsync(context, parsed, publisher, appId, generation).ConfigureAwait(false);
        }));
        return command;
    }

    private static Option<string> Device() => new("--device") { Description = "the device id (required)", HelpName = "D" };
}

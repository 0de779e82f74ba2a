using System.CommandLine;
using System.Text.Json.Nodes;
using Capgo.Edge.ControlPlane.Releases;

namespace Capgo.Edge.Cli.Commands;

/// <summary><c>channel add|set|delete|list --app A</c>: an app's channels, their bundle and their policy.</summary>
internal static class ChannelCommand
{
    public static Command Create(CliContext context) =>
        new("channel", "add, change, delete or list an app's channels")
        {
            CreateEdit(context, "channel add", "add a channel (default bundle: builtin)", ChannelEdits.Add),
            CreateEdit(context, "channel set", "change a channel's bundle and the policy flags given", ChannelEdits.Set),
            CreateDelete(context),
            CreateList(context),
        };

    private static Command CreateEdit(CliContext context, string path, string description, Action<JsonObject, string, ChannelPolicy, string?> edit)
    {
        var channel = ReleaseOptions.Channel();
        var bundle = new Option<string>("--bundle") { Description = $"the bundle devices on the channel get, or '{ChannelEdits.Builtin}' for the one in the binary", HelpName = "N" };
        var policy = new PolicyOptions();
        var command = ReleaseWrite.Create(context, path, description, [channel], [bundle, .. policy.All], parsed =>
        {
            var (name, target, rules) = (parsed.GetRequiredValue(channel), parsed.GetValue(bundle), policy.Read(parsed));
            return document => edit(document, name, rules, target);
        });
        command.Validators.Add(result =>
        {
            if (CliOptions.Given(result, policy.Public) && CliOptions.Given(result, policy.Private))
            {
                result.AddError($"--public and --private exclude each other in '{path}'");
            }
        });
        return command;
    }

    private static Command CreateDelete(CliContext context)
    {
        var channel = ReleaseOptions.Channel();
        return ReleaseWrite.Create(context, "channel delete", "delete a channel", [channel], [], parsed =>
        {
            var name = parsed.GetRequiredValue(channel);
            return document => ChannelEdits.Delete(document, name);
        });
    }

    private static Command CreateList(CliContext context) =>
        ReleaseWrite.CreateRead(context, "channel list", "list an app's channels with their bundle, rollout and policy", [], async (_, store, appId, json) =>
        {
            var (document, _) = await ReleaseWrite.ReadAsync(store, appId).ConfigureAwait(false);
            var rows = (document["channels"] as JsonArray ?? []).OfType<JsonObject>().Select(ChannelRow.From).ToList();
            if (json)
            {
                await JsonOutput.WriteAsync(context, rows, ReleaseJson.Relaxed.ListChannelRow).ConfigureAwait(false);
                return ExitCodes.Ok;
            }

            foreach (var row in rows)
            {
                var rollout = row.Rollout is null ? "" : $"  {row.Rollout}";
                await context.Output.WriteLineAsync(
                    $"{row.Name}  bundle {row.Bundle ?? ChannelEdits.Builtin}  {(row.Public == true ? "public" : "private")}{rollout}").ConfigureAwait(false);
            }

            return ExitCodes.Ok;
        });

    /// <summary>The policy flags, each left as it is (or at the document's default) when not given.</summary>
    private sealed class PolicyOptions
    {
        public Option<bool> Public { get; } = new("--public") { Description = "devices without a channel of their own get this one (one per platform)" };
        public Option<bool> Private { get; } = new("--private") { Description = "only devices assigned to the channel get it" };

        private readonly Option<string> _selfAssign = ReleaseOptions.OnOff("--self-assign", "devices may assign themselves to the channel");
        private readonly Option<string> _ios = ReleaseOptions.OnOff("--ios", "serve iOS devices");
        private readonly Option<string> _android = ReleaseOptions.OnOff("--android", "serve Android devices");
        private readonly Option<string> _electron = ReleaseOptions.OnOff("--electron", "serve Electron apps");
        private readonly Option<string> _emulator = ReleaseOptions.OnOff("--emulator", "serve emulators");
        private readonly Option<string> _device = ReleaseOptions.OnOff("--device", "serve physical devices");
        private readonly Option<string> _dev = ReleaseOptions.OnOff("--dev", "serve development builds");
        private readonly Option<string> _prod = ReleaseOptions.OnOff("--prod", "serve production builds");
        private readonly Option<string> _underNative = ReleaseOptions.OnOff("--under-native", "refuse bundles older than the native version");
        private readonly Option<string> _disableAutoUpdate = DisableAutoUpdate();

        public Option[] All => [Public, Private, _selfAssign, _ios, _android, _electron, _emulator, _device, _dev, _prod, _disableAutoUpdate, _underNative];

        public ChannelPolicy Read(ParseResult parsed) => new()
        {
            Public = CliOptions.Given(parsed, Public) ? parsed.GetValue(Public)
                : CliOptions.Given(parsed, Private) ? !parsed.GetValue(Private)
                : null,
            SelfAssign = ReleaseOptions.OnOffOf(parsed, _selfAssign),
            Ios = ReleaseOptions.OnOffOf(parsed, _ios),
            Android = ReleaseOptions.OnOffOf(parsed, _android),
            Electron = ReleaseOptions.OnOffOf(parsed, _electron),
            Emulator = ReleaseOptions.OnOffOf(parsed, _emulator),
            Device = ReleaseOptions.OnOffOf(parsed, _device),
            Dev = ReleaseOptions.OnOffOf(parsed, _dev),
            Prod = ReleaseOptions.OnOffOf(parsed, _prod),
            DisableAutoUpdate = parsed.GetValue(_disableAutoUpdate),
            UnderNative = ReleaseOptions.OnOffOf(parsed, _underNative),
        };

        private static Option<string> DisableAutoUpdate() =>
            ReleaseOptions.OneOf("--disable-auto-update", "the updates devices do not take on their own", "none", "major", "minor", "patch", "version_number");
    }
}

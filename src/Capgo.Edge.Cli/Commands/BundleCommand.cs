using System.CommandLine;
using Capgo.Edge.ControlPlane.Releases;

namespace Capgo.Edge.Cli.Commands;

/// <summary>
/// <c>bundle add|delete|list --app A</c>: an app's bundles. Bundles are immutable, so adding one again
/// unchanged is a no-op (CI retries are safe) and adding it with other content is refused.
/// </summary>
internal static class BundleCommand
{
    public static Command Create(CliContext context) =>
        new("bundle", "add, delete or list an app's bundles (immutable once added)") { CreateAdd(context), CreateDelete(context), CreateList(context) };

    private static Command CreateAdd(CliContext context)
    {
        var name = Name();
        var url = new Option<string>("--url") { Description = "where devices download the bundle's zip (required)", HelpName = "URL" };
        var checksum = new Option<string>("--checksum") { Description = "the zip's checksum as the plugin checks it (this or --zip)", HelpName = "C" };
        var zip = new BundleZipOptions();
        var sessionKey = new Option<string>("--session-key") { Description = "the encrypted bundle's session key (with --key-id)", HelpName = "K" };
        var keyId = new Option<string>("--key-id") { Description = "the id of the key that encrypted the bundle (with --session-key)", HelpName = "ID" };
        var minUpdate = new Option<string>("--min-update-version") { Description = "the oldest version that may update to this bundle", HelpName = "V" };
        var link = new Option<string>("--link") { Description = "a link shown with the bundle (e.g. release notes)", HelpName = "L" };
        var comment = new Option<string>("--comment") { Description = "a comment shown with the bundle", HelpName = "C" };

        // Read once per run, before the edit (which may be retried); the upload hints print it after the write.
        BundleArchive? archive = null;
        var command = ReleaseWrite.Create(
            context,
            "bundle add",
            "add a bundle; adding it again unchanged changes nothing, with other content is refused",
            [name, url],
            [checksum, .. zip.All, sessionKey, keyId, minUpdate, link, comment],
            parsed =>
            {
                archive = zip.Read(parsed);
                var spec = new BundleSpec(parsed.GetRequiredValue(name), parsed.GetRequiredValue(url), archive?.Checksum ?? parsed.GetValue(checksum)!)
                {
                    SessionKey = parsed.GetValue(sessionKey) ?? "",
                    KeyId = parsed.GetValue(keyId),
                    MinUpdateVersion = parsed.GetValue(minUpdate),
                    Link = parsed.GetValue(link),
                    Comment = parsed.GetValue(comment),
                    Manifest = archive?.Manifest ?? [],
                };
                return document => BundleEdits.Add(document, spec);
            });

        command.Validators.Add(result =>
        {
            // An encrypted bundle the device cannot match to its key fails on every device: both, or neither.
            if (CliOptions.Given(result, sessionKey) != CliOptions.Given(result, keyId))
            {
                result.AddError("--session-key and --key-id go together for 'bundle add'");
            }

            // Exactly one of --zip and --checksum; the zip's options only with --zip, which reads no encrypted bundle.
            zip.Validate(result, checksum, sessionKey);
        });

        var write = (System.CommandLine.Invocation.AsynchronousCommandLineAction)command.Action!;
        command.SetAction(async (parsed, cancellation) =>
        {
            var code = await write.InvokeAsync(parsed, cancellation).ConfigureAwait(false);
            if (archive is not null && code is ExitCodes.Ok or ExitCodes.Lagging)
            {
                // With --json standard output stays one JSON value: the hints go to standard error.
                var writer = parsed.GetValue(context.Release.Json) ? context.Error : context.Output;
                await BundleUploadHints.WriteAsync(writer, archive, parsed.GetRequiredValue(url), zip.AlgorithmOf(parsed), parsed.GetValue(context.Release.DryRun)).ConfigureAwait(false);
            }

            return code;
        });
        return command;
    }

    private static Command CreateDelete(CliContext context)
    {
        var name = Name();
        return ReleaseWrite.Create(
            context,
            "bundle delete",
            "delete a bundle no channel or rollout uses",
            [name],
            [],
            parsed =>
            {
                var bundle = parsed.GetRequiredValue(name);
                return document => BundleEdits.Delete(document, bundle);
            });
    }

    private static Command CreateList(CliContext context) =>
        ReleaseWrite.CreateRead(context, "bundle list", "list an app's bundles", [], async (_, store, appId, json) =>
        {
            var (document, _) = await ReleaseWrite.ReadAsync(store, appId).ConfigureAwait(false);
            var rows = (document["bundles"] as System.Text.Json.Nodes.JsonArray ?? [])
                .OfType<System.Text.Json.Nodes.JsonObject>()
                .Select(static b => new BundleRow(
                    (string?)b["name"] ?? "",
                    (string?)b["url"],
                    (string?)b["checksum"],
                    (string?)b["key_id"],
                    (string?)b["min_update_version"],
                    (string?)b["link"],
                    (string?)b["comment"],
                    !string.IsNullOrEmpty((string?)b["session_key"])))
                .ToList();
            if (json)
            {
                await JsonOutput.WriteAsync(context, rows, ReleaseJson.Relaxed.ListBundleRow).ConfigureAwait(false);
                return ExitCodes.Ok;
            }

            foreach (var row in rows)
            {
                await context.Output.WriteLineAsync($"{row.Name}  checksum {row.Checksum}  {row.Url}{(row.Encrypted ? "  (encrypted)" : "")}").ConfigureAwait(false);
            }

            return ExitCodes.Ok;
        });

    private static Option<string> Name() => new("--name") { Description = "the bundle's name, e.g. its version (required)", HelpName = "N" };
}

using System.CommandLine;
using Capgo.Edge.ControlPlane;
using Capgo.Edge.Core;

namespace Capgo.Edge.Cli.Commands;

/// <summary><c>publish FILE... [--wait] [--timeout T]</c>: validates every file, then publishes them in order.</summary>
internal static class PublishCommand
{
    public static Command Create(CliContext context)
    {
        var files = new Argument<string[]>("FILE")
        {
            Description = "app documents (JSON, docs/projection.md); one bad file publishes none",
            Arity = ArgumentArity.OneOrMore,
        };
        // Unknown options would otherwise be taken for file names.
        files.Validators.Add(static result =>
        {
            foreach (var token in result.Tokens.Where(static t => t.Value.Length > 1 && t.Value[0] == '-'))
            {
                result.AddError($"Unrecognized option '{token.Value}' (a file of that name is written ./{token.Value})");
            }
        });
        var command = new Command("publish", "validate app documents and publish them, each under a new generation") { files, context.Release.Actor };
        EdgeWait.AddTo(command, context.Options);
        command.SetAction(async (parsed, _) =>
        {
            // Every document is validated before connecting: a bad file must not need Redis to be reported.
            var documents = await ReadDocumentsAsync(context, parsed.GetRequiredValue(files)).ConfigureAwait(false);
            if (documents is null)
            {
                return ExitCodes.Refused;
            }

            return await context.WithReleasesAsync(parsed, store => PublishAsync(context, parsed, store, documents)).ConfigureAwait(false);
        });
        return command;
    }

    private static async Task<List<(string File, byte[] Bytes)>?> ReadDocumentsAsync(CliContext context, string[] files)
    {
        var documents = new List<(string, byte[])>();
        var failed = false;
        foreach (var file in files)
        {
            try
            {
                var bytes = await File.ReadAllBytesAsync(file).ConfigureAwait(false);
                AppDocument.Parse(bytes, 0);
                documents.Add((file, bytes));
            }
            catch (ProjectionException ex)
            {
                failed = true;
                await context.FailAsync($"{file}: {ex.Field}: {ex.Problem}").ConfigureAwait(false);
            }
            catch (IOException ex)
            {
                failed = true;
                await context.FailAsync($"{file}: {ex.Message}").ConfigureAwait(false);
            }
        }

        if (failed)
        {
            await context.FailAsync("nothing was published").ConfigureAwait(false);
            return null;
        }

        return documents;
    }

    private static async Task<int> PublishAsync(CliContext context, ParseResult parsed, ReleaseStore store, List<(string File, byte[] Bytes)> documents)
    {
        // Recorded like every release operation: the channels a document changes get a history entry.
        var change = new ChangeContext(context.Release.ActorOf(parsed), "publish");
        var result = ExitCodes.Ok;
        foreach (var (file, bytes) in documents)
        {
            var generation = await store.Changes.ReplaceAsync(bytes, change).ConfigureAwait(false);
            var appId = AppDocument.Parse(bytes, 0).AppId;
            await context.Output.WriteLineAsync($"published {appId} from {file} at generation {generation}").ConfigureAwait(false);
            result = Math.Max(result, await EdgeWait.RunAsync(context, parsed, store.Store, appId, generation).ConfigureAwait(false));
        }

        return result;
    }
}

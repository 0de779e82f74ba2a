using System.Collections.Immutable;
using System.Text.Json.Nodes;
using Capgo.Edge.Core;
using Capgo.Edge.Redis;

namespace Capgo.Edge.ControlPlane.Stores;

/// <summary>
/// What a projection folder keeps beside one app's document, in <c>.capgo-edge/&lt;app_id&gt;.state.json</c>:
/// the generation of the document last written, its content hash, and each channel's history (entries
/// as JSON objects, newest first).
/// </summary>
internal sealed record FolderAppState(long Generation, string? ContentHash, ImmutableDictionary<string, ImmutableList<string>> Histories)
{
    public IReadOnlyList<string> History(string channel) => Histories.TryGetValue(channel, out var entries) ? entries : [];

    /// <summary>Puts <paramref name="entry"/> first in the channel's history, keeping the newest <paramref name="keep"/>.</summary>
    public FolderAppState WithEntry(string channel, string entry, int keep)
    {
        var entries = History(channel).Prepend(entry).Take(keep).ToImmutableList();
        return this with { Histories = Histories.SetItem(channel, entries) };
    }

    public static FolderAppState Read(string directory, string appId)
    {
        var path = PathOf(directory, appId);
        if (!File.Exists(path))
        {
            return new FolderAppState(0, null, ImmutableDictionary<string, ImmutableList<string>>.Empty.WithComparers(StringComparer.Ordinal));
        }

        try
        {
            var root = JsonNode.Parse(File.ReadAllBytes(path))!.AsObject();
            var histories = ImmutableDictionary.CreateBuilder<string, ImmutableList<string>>(StringComparer.Ordinal);
            foreach (var (channel, entries) in root["history"] as JsonObject ?? [])
            {
                histories[channel] = [.. (entries as JsonArray ?? []).Select(static e => e!.ToJsonString())];
            }

            return new FolderAppState((long)root["generation"]!, (string?)root["content_hash"], histories.ToImmutable());
        }
        catch (Exception ex) when (ex is System.Text.Json.JsonException or InvalidOperationException or NullReferenceException or FormatException)
        {
            throw new PublishException($"{path} is not a capgo-edge state file ({ex.Message}); move it away to start the app's history afresh", ex);
        }
    }

    /// <summary>Replaces the state file atomically (a rename).</summary>
    public void Write(string directory, string appId)
    {
        var history = new JsonObject();
        foreach (var (channel, entries) in Histories.OrderBy(static h => h.Key, StringComparer.Ordinal))
        {
            history[channel] = new JsonArray([.. entries.Select(static e => JsonNode.Parse(e))]);
        }

        var root = new JsonObject
        {
            ["generation"] = Generation,
            ["content_hash"] = ContentHash,
            ["history"] = history,
        };
        var path = PathOf(directory, appId);
        var temporary = path + ".tmp";
        File.WriteAllText(temporary, root.ToJsonString());
        File.Move(temporary, path, overwrite: true);
    }

    private static string PathOf(string directory, string appId) => Path.Combine(ProjectionFolder.StateDirectory(directory), appId + ".state.json");
}

using System.Text.Json.Nodes;
using Capgo.Edge.Redis;

namespace Capgo.Edge.ControlPlane.Releases;

/// <summary>
/// Bundle changes to an app document. Bundles are immutable: devices on a bundle never download it
/// again, so a name, once published, always means the same content.
/// </summary>
public static class BundleEdits
{
    /// <summary>
    /// Adds the bundle; adding it again with identical content changes nothing (CI retries are safe);
    /// the same name with other content is refused, naming what differs.
    /// </summary>
    public static void Add(JsonObject document, BundleSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var bundles = Documents.Bundles(document);
        var added = ToJson(spec);
        if (Documents.Find(bundles, spec.Name) is { } existing)
        {
            var differs = Differences(existing, added);
            if (differs.Count > 0)
            {
                throw new PublishException(
                    $"bundle {spec.Name} already exists with another {string.Join(", ", differs)}: bundles are immutable, add a new version instead");
            }

            return;
        }

        bundles.Add(added);
    }

    /// <summary>Deletes the bundle; refused while a channel or a rollout points at it (they are named).</summary>
    public static void Delete(JsonObject document, string name)
    {
        var bundles = Documents.Bundles(document);
        var bundle = Documents.Find(bundles, name) ?? throw new PublishException($"bundle {name} does not exist");
        var users = new List<string>();
        foreach (var channel in Documents.Channels(document).OfType<JsonObject>())
        {
            if ((string?)channel["bundle"] == name)
            {
                users.Add($"channel {(string?)channel["name"]}");
            }

            if (channel["rollout"] is JsonObject rollout && (string?)rollout["bundle"] == name)
            {
                users.Add($"the rollout of channel {(string?)channel["name"]}");
            }
        }

        if (users.Count > 0)
        {
            throw new PublishException($"bundle {name} is in use by {string.Join(", ", users)}");
        }

        bundles.Remove(bundle);
    }

    private static JsonObject ToJson(BundleSpec spec)
    {
        var bundle = new JsonObject
        {
            ["name"] = spec.Name,
            ["url"] = spec.Url,
            ["checksum"] = spec.Checksum,
            ["session_key"] = spec.SessionKey,
            ["key_id"] = spec.KeyId,
            ["min_update_version"] = spec.MinUpdateVersion,
            ["link"] = spec.Link,
            ["comment"] = spec.Comment,
        };
        if (spec.Manifest.Count > 0)
        {
            bundle["manifest"] = new JsonArray([.. spec.Manifest.Select(static f => new JsonObject
            {
                ["file_name"] = f.FileName,
                ["file_hash"] = f.FileHash,
                ["download_url"] = f.DownloadUrl,
            })]);
        }

        return bundle;
    }

    /// <summary>The fields whose values differ (absent counts as null or empty, as the edge reads them).</summary>
    private static List<string> Differences(JsonObject existing, JsonObject added)
    {
        string[] content = ["url", "checksum", "session_key", "key_id", "manifest", "min_update_version", "link", "comment"];
        return [.. content.Where(field => !JsonNode.DeepEquals(Normal(existing[field]), Normal(added[field])))];
    }

    private static JsonNode? Normal(JsonNode? value) => value switch
    {
        JsonValue v when v.TryGetValue<string>(out var s) && s.Length == 0 => null,
        JsonArray { Count: 0 } => null,
        _ => value,
    };
}

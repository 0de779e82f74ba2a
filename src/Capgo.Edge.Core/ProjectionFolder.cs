using System.Security.Cryptography;
using System.Text.Json;

namespace Capgo.Edge.Core;

/// <summary>
/// The layout of a projection folder, shared by the standalone edge that reads it and the release
/// commands that write it (<c>--dir</c>). App documents are the folder's top-level <c>*.json</c> files,
/// one per app, written as <c>&lt;app_id&gt;.json</c>; the bookkeeping lives in <c>.capgo-edge/</c>,
/// which the edge does not load: the writers' per-app state (generation, history) and lock files, the
/// audit log, and one acknowledgement file per edge naming the content it serves.
/// </summary>
public static class ProjectionFolder
{
    /// <summary>The bookkeeping folder's name, inside the projection folder.</summary>
    public const string StateFolderName = ".capgo-edge";

    public static string StateDirectory(string directory) => Path.Combine(directory, StateFolderName);

    public static string EdgesDirectory(string directory) => Path.Combine(directory, StateFolderName, "edges");

    /// <summary>Where a release command writes an app's document (app ids are file-name safe by their rule).</summary>
    public static string AppFile(string directory, string appId) => Path.Combine(directory, appId + ".json");

    /// <summary>An edge's acknowledgement file.</summary>
    public static string EdgeFile(string directory, string edgeName) => Path.Combine(EdgesDirectory(directory), edgeName + ".json");

    /// <summary>How a document's content is named in acknowledgements: SHA-256 of its bytes, lowercase hex.</summary>
    public static string ContentHash(ReadOnlySpan<byte> document) => Convert.ToHexStringLower(SHA256.HashData(document));

    /// <summary>An acknowledgement: <c>{"edge":…,"time":unix ms,"apps":{app_id: content hash}}</c>.</summary>
    public static byte[] EncodeAck(string edgeName, DateTimeOffset time, IEnumerable<KeyValuePair<string, string>> apps)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("edge"u8, edgeName);
            writer.WriteNumber("time"u8, time.ToUnixTimeMilliseconds());
            writer.WriteStartObject("apps"u8);
            foreach (var (appId, hash) in apps)
            {
                writer.WriteString(appId, hash);
            }

            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        return buffer.ToArray();
    }

    /// <summary>Reads an acknowledgement; null when it is not one (a torn or foreign file).</summary>
    public static EdgeAcknowledgement? DecodeAck(ReadOnlySpan<byte> json)
    {
        try
        {
            var reader = new Utf8JsonReader(json);
            using var document = JsonDocument.ParseValue(ref reader);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object
                || !root.TryGetProperty("edge"u8, out var edge) || edge.ValueKind != JsonValueKind.String
                || !root.TryGetProperty("time"u8, out var time) || !time.TryGetInt64(out var ms)
                || !root.TryGetProperty("apps"u8, out var apps) || apps.ValueKind != JsonValueKind.Object)
            {
                return null;
            }

            var served = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var app in apps.EnumerateObject())
            {
                if (app.Value.ValueKind == JsonValueKind.String)
                {
                    served[app.Name] = app.Value.GetString()!;
                }
            }

            return new EdgeAcknowledgement(edge.GetString()!, DateTimeOffset.FromUnixTimeMilliseconds(ms), served);
        }
        catch (Exception ex) when (ex is JsonException or ArgumentOutOfRangeException)
        {
            return null;
        }
    }
}

/// <summary>What one edge serves from a projection folder, as of <paramref name="Time"/>.</summary>
public sealed record EdgeAcknowledgement(string Edge, DateTimeOffset Time, IReadOnlyDictionary<string, string> Apps);

using System.Text.Json.Nodes;

namespace Capgo.Edge.ControlPlane.Releases;

/// <summary>The parts of an app document the release edits read and change.</summary>
internal static class Documents
{
    public static JsonArray Bundles(JsonObject document) => Array(document, "bundles");

    public static JsonArray Channels(JsonObject document) => Array(document, "channels");

    /// <summary>The item of <paramref name="items"/> whose <c>name</c> is <paramref name="name"/>, or null.</summary>
    public static JsonObject? Find(JsonArray items, string name) =>
        items.OfType<JsonObject>().FirstOrDefault(item => (string?)item["name"] == name);

    private static JsonArray Array(JsonObject document, string field)
    {
        if (document[field] is JsonArray array)
        {
            return array;
        }

        var created = new JsonArray();
        document[field] = created;
        return created;
    }
}

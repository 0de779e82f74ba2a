using System.Text.Json;
using System.Text.Json.Nodes;
using Capgo.Edge.Redis;
using StackExchange.Redis;

namespace Capgo.Edge.ControlPlane;

/// <summary>
/// Reads an app back from Redis as one publishable document: the stored document with its
/// device overrides put back under <c>device_overrides</c>, so publishing it again reproduces the app.
/// </summary>
internal static class StoredDocument
{
    private const int Attempts = 5;
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static async Task<byte[]?> ReadAsync(IDatabase db, RedisLayout layout, string appId)
    {
        // The overrides are scanned in pages (an app can have millions), so the read is repeated
        // until no publish or override change landed in between: the document and its overrides
        // then come from the same generations.
        for (var attempt = 0; attempt < Attempts; attempt++)
        {
            var before = await db.HashGetAsync(layout.App(appId), ["doc", "gen"]).ConfigureAwait(false);
            if (before[0].IsNull)
            {
                return null;
            }

            var ogenBefore = await db.StringGetAsync(layout.AppOverridesGeneration(appId)).ConfigureAwait(false);

            var overrides = new JsonObject();
            await foreach (var entry in db.HashScanAsync(layout.AppOverrides(appId), pageSize: 10_000).ConfigureAwait(false))
            {
                overrides[entry.Name.ToString()] = entry.Value.ToString();
            }

            var after = await db.HashGetAsync(layout.App(appId), "gen").ConfigureAwait(false);
            var ogenAfter = await db.StringGetAsync(layout.AppOverridesGeneration(appId)).ConfigureAwait(false);
            if (after == before[1] && ogenAfter == ogenBefore)
            {
                var document = (JsonObject)JsonNode.Parse((byte[])before[0]!)!;
                document["device_overrides"] = overrides;
                return JsonSerializer.SerializeToUtf8Bytes(document, Indented);
            }
        }

        throw new PublishException($"app {appId} kept changing while it was read; try again");
    }
}

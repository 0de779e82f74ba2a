using System.Text.Json.Nodes;

namespace Capgo.Edge.ControlPlane;

/// <summary>
/// What a change records with itself, in the publish script: one audit entry, and one history entry per
/// channel whose bundle or rollout it changed. Entries are JSON objects without their opening brace;
/// the script puts the change's generation first.
/// </summary>
internal sealed record ChangeRecord(string Audit, IReadOnlyList<(string Channel, string Entry)> History, ChangeContext Context)
{
    public static ChangeRecord Of(string appId, ChangeContext context, JsonObject before, JsonObject after, DateTimeOffset time)
    {
        var audit = Body(new JsonObject
        {
            ["time"] = time.ToUnixTimeMilliseconds(),
            ["app_id"] = appId,
            ["actor"] = context.Actor,
            ["operation"] = context.Operation,
        });
        var history = new List<(string, string)>();
        var previous = Channels(before);
        var current = Channels(after);
        foreach (var name in previous.Keys.Union(current.Keys).Order(StringComparer.Ordinal))
        {
            previous.TryGetValue(name, out var was);
            current.TryGetValue(name, out var now);
            var bundleBefore = was?["bundle"]?.DeepClone();
            var bundleAfter = now?["bundle"]?.DeepClone();
            if (was is not null && now is not null && JsonNode.DeepEquals(bundleBefore, bundleAfter) && JsonNode.DeepEquals(was["rollout"], now["rollout"]))
            {
                continue;
            }

            history.Add((name, Body(new JsonObject
            {
                ["time"] = time.ToUnixTimeMilliseconds(),
                ["actor"] = context.Actor,
                ["operation"] = was is null ? "channel add" : now is null ? "channel delete" : context.Operation,
                ["bundle_before"] = bundleBefore,
                ["bundle_after"] = bundleAfter,
                ["rollout"] = now?["rollout"]?.DeepClone(),
                ["note"] = context.Note,
            })));
        }

        return new ChangeRecord(audit, history, context);
    }

    private static Dictionary<string, JsonObject> Channels(JsonObject document) =>
        (document["channels"] as JsonArray ?? [])
            .OfType<JsonObject>()
            .Where(static c => c["name"] is not null)
            .ToDictionary(static c => (string)c["name"]!, StringComparer.Ordinal);

    /// <summary>The object's JSON without its opening brace.</summary>
    private static string Body(JsonObject entry) => entry.ToJsonString()[1..];
}

/// <summary>Who makes a change and what it is, for the channel history and the audit stream.</summary>
/// <param name="Actor">e.g. <c>$CAPGO_EDGE_ACTOR</c>, else user@host.</param>
/// <param name="Operation">The command, e.g. <c>rollout set</c>.</param>
/// <param name="Note">Why, when a rule made the change (an auto-pause records the figures that tripped it).</param>
public sealed record ChangeContext(string Actor, string Operation, string? Note = null)
{
    /// <summary>The running user at this host.</summary>
    public static string DefaultActor =>
        Environment.GetEnvironmentVariable("CAPGO_EDGE_ACTOR") is { Length: > 0 } actor ? actor : $"{Environment.UserName}@{Environment.MachineName}";
}

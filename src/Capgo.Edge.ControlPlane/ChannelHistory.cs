using System.Text.Json.Nodes;
using Capgo.Edge.Redis;

namespace Capgo.Edge.ControlPlane;

/// <summary>
/// One change of a channel: its generation, when, by whom (<c>Actor</c>), the command (<c>Operation</c>),
/// its bundle before and after (null: the builtin bundle, or no channel), and its rollout after.
/// </summary>
public sealed record HistoryEntry(
    string Channel,
    long Generation,
    DateTimeOffset Time,
    string Actor,
    string Operation,
    string? BundleBefore,
    string? BundleAfter,
    JsonObject? Rollout,
    string? Note = null);

/// <summary>
/// The changes of each channel, newest first, as the release operations record them with each change
/// (the last <see cref="RedisLayout.HistoryLength"/> per channel).
/// </summary>
public sealed class ChannelHistory
{
    private readonly AppStore _store;

    public ChannelHistory(AppStore store)
    {
        ArgumentNullException.ThrowIfNull(store);
        _store = store;
    }

    public async Task<IReadOnlyList<HistoryEntry>> ReadAsync(string appId, string channel)
    {
        var values = await _store.ReadHistoryAsync(appId, channel).ConfigureAwait(false);
        return [.. values.Select(v => Parse(channel, v))];
    }

    /// <summary>The bundle a rollback goes to: the newest bundle change's "before" that is not <paramref name="current"/>.</summary>
    /// <returns>False when the history holds no other bundle.</returns>
    public static bool TryPreviousBundle(IReadOnlyList<HistoryEntry> newestFirst, string? current, out string? bundle)
    {
        ArgumentNullException.ThrowIfNull(newestFirst);
        foreach (var entry in newestFirst)
        {
            if (entry.BundleBefore != entry.BundleAfter && entry.Operation != "channel add" && entry.BundleBefore != current)
            {
                bundle = entry.BundleBefore;
                return true;
            }
        }

        bundle = null;
        return false;
    }

    private static HistoryEntry Parse(string channel, string json)
    {
        var entry = JsonNode.Parse(json)!.AsObject();
        return new HistoryEntry(
            channel,
            (long)entry["generation"]!,
            DateTimeOffset.FromUnixTimeMilliseconds((long)entry["time"]!),
            (string?)entry["actor"] ?? "",
            (string?)entry["operation"] ?? "",
            (string?)entry["bundle_before"],
            (string?)entry["bundle_after"],
            entry["rollout"] as JsonObject,
            (string?)entry["note"]);
    }
}

using System.Text.Json.Nodes;
using Capgo.Edge.Redis;

namespace Capgo.Edge.ControlPlane.Releases;

/// <summary>
/// The release operations CI and the command line call: each is one <see cref="AppChanges"/> change of
/// the app document (atomic, retried on a concurrent change, recorded in the channel history).
/// </summary>
public sealed class ReleaseOperations
{
    private readonly AppChanges _changes;
    private readonly ChannelHistory _history;

    public ReleaseOperations(AppChanges changes, ChannelHistory history)
    {
        _changes = changes;
        _history = history;
    }

    public Task<AppChange> ApplyAsync(string appId, ChangeContext context, Action<JsonObject> edit, long? ifGeneration = null) =>
        _changes.ApplyAsync(appId, context, edit, ifGeneration);

    /// <summary>
    /// Points the channel at <paramref name="to"/>, or else at the previous distinct bundle of its
    /// history, and ends any rollout on it; refused when the history names no other bundle.
    /// </summary>
    public async Task<AppChange> RollbackAsync(string appId, string channel, ChangeContext context, string? to = null, long? ifGeneration = null) =>
        await _changes.ApplyAsync(appId, context, await RollbackEditAsync(appId, channel, to).ConfigureAwait(false), ifGeneration).ConfigureAwait(false);

    /// <summary>
    /// The edit <see cref="RollbackAsync"/> applies, on its own so a dry run can apply it to a copy of the
    /// document; it reads the channel's history once, so the edit itself does no I/O and may be retried.
    /// </summary>
    public async Task<Action<JsonObject>> RollbackEditAsync(string appId, string channel, string? to = null)
    {
        var entries = await _history.ReadAsync(appId, channel).ConfigureAwait(false);
        return document =>
        {
            var target = to;
            if (target is null)
            {
                var current = (string?)ChannelEdits.Get(document, channel)["bundle"];
                if (!ChannelHistory.TryPreviousBundle(entries, current, out var previous))
                {
                    throw new PublishException($"channel {channel} has no earlier bundle in its history; name one with --to");
                }

                target = previous ?? ChannelEdits.Builtin;
            }

            ChannelEdits.Set(document, channel, new ChannelPolicy(), target);
            ChannelEdits.Get(document, channel).Remove("rollout");
        };
    }
}

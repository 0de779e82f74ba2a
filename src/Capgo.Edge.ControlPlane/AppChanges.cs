using System.Text.Json.Nodes;
using Capgo.Edge.Redis;

namespace Capgo.Edge.ControlPlane;

/// <summary>The outcome of one change: the generation it started from and the one it produced.</summary>
/// <param name="Before">The app's generation the change was applied to.</param>
/// <param name="After">The new generation; equal to <paramref name="Before"/> when the change changed nothing.</param>
/// <param name="Document">The document as published (or as it stayed).</param>
/// <param name="Attempts">How many times the change was applied before it landed (concurrent changes retry it).</param>
public sealed record AppChange(long Before, long After, JsonObject Document, int Attempts)
{
    public bool Changed => After != Before;
}

/// <summary>
/// Changes one stored app document in place, safely when several pipelines change the same app at
/// once: each attempt reads the document and its generation, applies the edit, validates the result
/// as a publish does, and publishes it only if the app is still at
/// the generation it read (one compare-and-set write of the <see cref="AppStore"/>). A concurrent change makes the attempt start over on the
/// newer document, so both land and neither is overwritten; with <c>ifGeneration</c> it is refused.
/// </summary>
public sealed class AppChanges
{
    private const int MaxAttempts = 50;

    private readonly AppStore _store;
    private readonly TimeProvider _time;

    public AppChanges(AppStore store, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        _store = store;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>The app's stored document and its generation; null when it is not published.</summary>
    public Task<(JsonObject Document, long Generation)?> ReadAsync(string appId) => _store.ReadAsync(appId);

    /// <summary>
    /// Publishes a whole document (new app or replacement) with its channel-history and audit entries:
    /// the entries compare it with the document it replaces, read in the same compare-and-set attempt.
    /// </summary>
    /// <param name="document">The app document, validated as any publish.</param>
    /// <param name="context">Who publishes, recorded with the change.</param>
    /// <param name="ifGeneration">Refuse (<see cref="StaleGenerationException"/>) unless the app is at this generation (0: not published).</param>
    public async Task<long> ReplaceAsync(ReadOnlyMemory<byte> document, ChangeContext context, long? ifGeneration = null)
    {
        ArgumentNullException.ThrowIfNull(context);
        JsonObject after;
        try
        {
            after = JsonNode.Parse(document.Span)?.AsObject() ?? throw new PublishException("the document is not a JSON object");
        }
        catch (System.Text.Json.JsonException ex)
        {
            throw new PublishException("the document is not JSON: " + ex.Message, ex);
        }

        var appId = (string?)after["app_id"] ?? throw new PublishException("app_id: required");
        for (var attempt = 1; ; attempt++)
        {
            var current = await ReadAsync(appId).ConfigureAwait(false);
            var generation = current?.Generation ?? 0;
            if (ifGeneration is { } expected && expected != generation)
            {
                throw new StaleGenerationException($"app {appId} is at generation {generation}, not {expected}");
            }

            var record = ChangeRecord.Of(appId, context, current?.Document ?? [], after, _time.GetUtcNow());
            try
            {
                return await _store.PublishAsync(document, generation, record).ConfigureAwait(false);
            }
            catch (StaleGenerationException) when (ifGeneration is null && attempt < MaxAttempts)
            {
                // Published over in between: record against the document this one really replaces.
            }
        }
    }

    /// <param name="appId">A published app.</param>
    /// <param name="context">Who changes what, recorded in the channel history and the audit stream with the change.</param>
    /// <param name="edit">
    /// Changes the document in place; it may run more than once (on a fresher document each time) and
    /// refuses with <see cref="PublishException"/>.
    /// </param>
    /// <param name="ifGeneration">Refuse (<see cref="StaleGenerationException"/>) unless the app is at this generation.</param>
    /// <param name="cancellationToken">Stops retrying.</param>
    public async Task<AppChange> ApplyAsync(string appId, ChangeContext context, Action<JsonObject> edit, long? ifGeneration = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(edit);
        for (var attempt = 1; ; attempt++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var (document, generation) = await ReadAsync(appId).ConfigureAwait(false)
                ?? throw new PublishException($"app {appId} is not published");
            if (ifGeneration is { } expected && expected != generation)
            {
                throw new StaleGenerationException($"app {appId} is at generation {generation}, not {expected}");
            }

            var before = document.DeepClone();
            edit(document);
            if (JsonNode.DeepEquals(before, document))
            {
                return new AppChange(generation, generation, document, attempt);
            }

            try
            {
                var record = ChangeRecord.Of(appId, context, (JsonObject)before, document, _time.GetUtcNow());
                var published = await _store.PublishAsync(System.Text.Encoding.UTF8.GetBytes(document.ToJsonString()), generation, record).ConfigureAwait(false);
                return new AppChange(generation, published, document, attempt);
            }
            catch (StaleGenerationException) when (ifGeneration is null && attempt < MaxAttempts)
            {
                // Another change landed between the read and the write: apply this one to the newer document.
                await Task.Delay(Random.Shared.Next(1, 5 * Math.Min(attempt, 10)), cancellationToken).ConfigureAwait(false);
            }
        }
    }
}

using Capgo.Edge.Core;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Capgo.Edge.Redis;

/// <summary>
/// Converges on Redis after anything missed: compares every app's generations with what is held,
/// reloads what is stale, applies tombstones, and marks the projection loaded the first time.
/// Runs on the sync loop.
/// </summary>
internal sealed partial class Reconciler
{
    private readonly ProjectionStore _store;
    private readonly RedisLayout _layout;
    private readonly ProjectionReader _reader;
    private readonly SyncStatus _status;
    private readonly EdgeIdentity _identity;
    private readonly ILogger<Reconciler> _logger;

    public Reconciler(ProjectionStore store, RedisLayout layout, ProjectionReader reader, SyncStatus status, EdgeIdentity identity, ILogger<Reconciler> logger)
    {
        _store = store;
        _layout = layout;
        _reader = reader;
        _status = status;
        _identity = identity;
        _logger = logger;
    }

    /// <summary>
    /// One pass; true when Redis answered it all. <paramref name="heldAtFailure"/> (generations held
    /// when the connection dropped) finds override changes missed while away: their announcements
    /// carry the change, so the latest generation alone cannot tell.
    /// </summary>
    public async Task<bool> ReconcileAsync(IDatabase db, IReadOnlyDictionary<string, (long Gen, long OGen)>? heldAtFailure)
    {
        try
        {
            var ids = await db.SetMembersAsync(_layout.Apps).ConfigureAwait(false);
            var pending = ids.Select(id => (Id: id.ToString(), Gens: db.HashGetAsync(_layout.App(id.ToString()), ["gen", "ogen"]))).ToList();
            var tombstones = await db.HashGetAllAsync(_layout.Tombstones).ConfigureAwait(false);
            var stale = new List<(string Id, bool ForceOverrides)>();
            foreach (var (id, gensTask) in pending)
            {
                var gens = await gensTask.ConfigureAwait(false);
                var gen = Generations.Parse(gens[0]);
                var ogen = Generations.Parse(gens[1]);
                if (gen == 0)
                {
                    continue;
                }

                var held = _store.Find(id);
                var missedOverrides = heldAtFailure is not null && heldAtFailure.TryGetValue(id, out var atFailure) && atFailure.OGen != ogen;
                if (held is null || held.Generation < gen || held.Overrides.Generation < ogen || missedOverrides)
                {
                    stale.Add((id, missedOverrides));
                }
            }

            // Fetch and parse in parallel (a cold start reads every app), install on this loop.
            var fetched = new FetchedApp?[stale.Count];
            await Parallel.ForAsync(0, stale.Count, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, _) =>
                fetched[i] = await _reader.FetchAsync(db, stale[i].Id, stale[i].ForceOverrides).ConfigureAwait(false)).ConfigureAwait(false);
            foreach (var app in fetched)
            {
                if (app is not null)
                {
                    _reader.Install(db, app);
                }
            }

            foreach (var tombstone in tombstones)
            {
                var held = _store.Find(tombstone.Name.ToString());
                if (held is not null && held.Generation <= Generations.Parse(tombstone.Value))
                {
                    _reader.Remove(db, held.AppId);
                }
            }

            // An app missing from Redis without a tombstone stays: Redis may have come back empty.
            _status.Healthy();
            if (!_store.IsLoaded)
            {
                _store.MarkLoaded();
                LogReady(_logger, _store.Count, _identity.Name);
            }
            else if (stale.Count > 0)
            {
                LogReconciled(_logger, stale.Count);
            }

            return true;
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            _status.Degraded(SyncReasons.RedisUnreachable, ex);
            return false;
        }
    }

    [LoggerMessage(EventId = 1105, Level = LogLevel.Information, Message = "Projection ready: {Count} apps from Redis, edge {EdgeName}")]
    private static partial void LogReady(ILogger logger, int count, string edgeName);

    [LoggerMessage(EventId = 1106, Level = LogLevel.Information, Message = "Reconciled: reloaded {Count} stale apps")]
    private static partial void LogReconciled(ILogger logger, int count);
}

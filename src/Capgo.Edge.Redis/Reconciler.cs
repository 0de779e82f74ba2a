using Capgo.Edge.Core;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Capgo.Edge.Redis;

/// <summary>
/// Converges on Redis after anything missed: compares every app's generations with what is held —
/// for equality, so neither a missed announcement nor a clock that went back leaves an app stale —
/// reloads what differs, applies tombstones, and marks the projection loaded the first time.
/// Every change script writes the fleet-wide <c>generation</c> counter, so a pass that finds it at the
/// value up to which this edge holds every change (<see cref="ChangeCounter"/>) reads nothing else: a
/// fleet that missed nothing costs Redis one GET per edge and interval, whatever the number of apps.
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

    // Per app whose overrides generation differed from Redis's alone: the one held then. Announcements
    // that lag behind a flood of pins make progress between two passes; one lost for good does not.
    // Rebuilt by every complete pass, so an app deleted meanwhile does not keep the edge from settling.
    private Dictionary<string, long> _overridesBehind = new(StringComparer.OrdinalIgnoreCase);

    private readonly ChangeCounter _changes;

    public Reconciler(ProjectionStore store, RedisLayout layout, ProjectionReader reader, SyncStatus status, EdgeIdentity identity, ChangeCounter changes, ILogger<Reconciler> logger)
    {
        _changes = changes;
        _store = store;
        _layout = layout;
        _reader = reader;
        _status = status;
        _identity = identity;
        _logger = logger;
    }

    /// <summary>
    /// One pass; true when Redis answered it all. An app with bad data is refused alone. Unless
    /// <paramref name="full"/>, a pass that finds the change counter where this edge holds every change
    /// stops there. A counter that went back or vanished (Redis back empty, restored from an older dump)
    /// differs like any other value.
    /// </summary>
    public async Task<bool> ReconcileAsync(IDatabase db, bool full = false)
    {
        try
        {
            // Read before the apps: a change made during the pass moves it, and the next pass reads again.
            var counter = Counter(await db.StringGetAsync(_layout.Generation).ConfigureAwait(false));
            if (!full && _store.IsLoaded && counter is { } now && _changes.Holds(now))
            {
                _status.Healthy();
                return true;
            }

            _changes.Forget();
            var ids = await db.SetMembersAsync(_layout.Apps).ConfigureAwait(false);
            var pending = ids.Select(id => (Id: id.ToString(), Gen: db.HashGetAsync(_layout.App(id.ToString()), "gen"), OGen: db.StringGetAsync(_layout.AppOverridesGeneration(id.ToString())))).ToList();
            var tombstones = await db.HashGetAllAsync(_layout.Tombstones).ConfigureAwait(false);
            var stale = new List<string>();
            var behind = new Dictionary<string, long>(StringComparer.OrdinalIgnoreCase);
            foreach (var (id, genTask, ogenTask) in pending)
            {
                var (genValue, ogenValue) = (await genTask.ConfigureAwait(false), await ogenTask.ConfigureAwait(false));
                long gen, ogen;
                try
                {
                    (gen, ogen) = (Generations.Parse(genValue), Generations.Parse(ogenValue));
                }
                catch (FormatException ex)
                {
                    _reader.Refuse(id, ex.Message);
                    continue;
                }

                if (gen == 0)
                {
                    continue;
                }

                var held = _store.Find(id);
                if (held is null || held.Generation != gen)
                {
                    stale.Add(id);
                }
                else if (held.Overrides.Generation != ogen)
                {
                    // Only the overrides differ. While announcements are being applied the edge is
                    // catching up; reloading a large map on every pass would be wasted. Without progress
                    // since the last pass, an announcement was lost and the overrides are read again.
                    var progress = !_overridesBehind.TryGetValue(id, out var before) || before != held.Overrides.Generation;
                    behind[id] = held.Overrides.Generation;
                    if (!progress)
                    {
                        stale.Add(id);
                    }
                }
            }

            // Fetch and parse in parallel (a cold start reads every app), install on this loop.
            var fetched = new FetchedApp?[stale.Count];
            await Parallel.ForAsync(0, stale.Count, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, _) =>
                fetched[i] = await _reader.FetchAsync(db, stale[i], forceOverrides: false).ConfigureAwait(false)).ConfigureAwait(false);
            foreach (var app in fetched)
            {
                if (app is not null)
                {
                    _reader.Install(db, app);
                }
            }

            // A tombstone is there only while the app is deleted (a publish clears it), whatever the generations say.
            foreach (var tombstone in tombstones)
            {
                if (_store.Find(tombstone.Name.ToString()) is { } held)
                {
                    _reader.Remove(db, held.AppId);
                }
            }

            // An app missing from Redis without a tombstone stays: Redis may have come back empty.
            // Overrides still catching up need the next pass to compare them again.
            _overridesBehind = behind;
            if (behind.Count == 0 && counter is { } read)
            {
                _changes.Settle(read);
            }

            _status.Healthy();
            if (!_store.IsLoaded)
            {
                // The first pass reads every app at once, and its replies (several times the size of
                // what is kept) are garbage now. They are collected and handed back to the OS here,
                // once, before the edge takes traffic, instead of held in the GC's budgets.
                GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
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

    /// <summary>The change counter; null when it is not a number (written by hand), so that every pass compares every app.</summary>
    private static long? Counter(RedisValue value)
    {
        try
        {
            return Generations.Parse(value);
        }
        catch (FormatException)
        {
            return null;
        }
    }

    [LoggerMessage(EventId = 1105, Level = LogLevel.Information, Message = "Projection ready: {Count} apps from Redis, edge {EdgeName}")]
    private static partial void LogReady(ILogger logger, int count, string edgeName);

    [LoggerMessage(EventId = 1106, Level = LogLevel.Information, Message = "Reconciled: reloaded {Count} stale apps")]
    private static partial void LogReconciled(ILogger logger, int count);
}

using System.Globalization;
using System.Threading.Channels;
using Channel = System.Threading.Channels.Channel;
using Capgo.Edge.ControlPlane;
using Capgo.Edge.Core;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Capgo.Edge.Server.Projection;

/// <summary>
/// Redis mode: loads every app from Redis, applies announcements within milliseconds, and converges
/// after anything missed (at start, on reconnect, and every reconcile interval). All changes are
/// applied by one loop, so an app's document and overrides never race. Requests never wait on
/// Redis: they read the in-memory store, which keeps its last good state while Redis is away.
/// </summary>
internal sealed partial class RedisProjectionSource : BackgroundService
{
    private readonly ProjectionStore _store;
    private readonly ProjectionHealth _health;
    private readonly SyncOptions _options;
    private readonly string _connectionString;
    private readonly TimeProvider _time;
    private readonly ILogger<RedisProjectionSource> _logger;
    private readonly RedisLayout _layout;
    private readonly Channel<SyncEvent> _events = Channel.CreateUnbounded<SyncEvent>(new UnboundedChannelOptions { SingleReader = true });

    // Generations held when the connection dropped: announcements missed while away are detected
    // against these, even if newer announcements arrive before the reconcile runs.
    private Dictionary<string, (long Gen, long OGen)>? _heldAtFailure;

    public RedisProjectionSource(
        ProjectionStore store,
        ProjectionHealth health,
        IOptions<SyncOptions> options,
        IConfiguration configuration,
        TimeProvider time,
        ILogger<RedisProjectionSource> logger)
    {
        _store = store;
        _health = health;
        _options = options.Value;
        _connectionString = configuration.GetConnectionString("Redis")!;
        _time = time;
        _logger = logger;
        _layout = new RedisLayout(_options.Prefix);
        EdgeName = string.IsNullOrEmpty(_options.EdgeName)
            ? $"{Environment.MachineName}-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..6]}"
            : _options.EdgeName;
        _health.Mode = "redis";
        _health.Problem = "connecting to Redis";
    }

    public string EdgeName { get; }

    private enum SyncEventKind
    {
        Announcement,
        Disconnected,
        Restored,
    }

    private readonly record struct SyncEvent(SyncEventKind Kind, Announcement? Announcement = null);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var config = ConfigurationOptions.Parse(_connectionString);
        config.AbortOnConnectFail = false;
        config.ClientName ??= "capgo-edge:" + EdgeName;
        using var redis = await ConnectionMultiplexer.ConnectAsync(config).ConfigureAwait(false);
        redis.ConnectionFailed += (_, e) =>
        {
            if (e.ConnectionType == ConnectionType.Interactive)
            {
                _events.Writer.TryWrite(new SyncEvent(SyncEventKind.Disconnected));
            }
        };
        redis.ConnectionRestored += (_, e) =>
        {
            if (e.ConnectionType == ConnectionType.Interactive)
            {
                _events.Writer.TryWrite(new SyncEvent(SyncEventKind.Restored));
            }
        };

        var subscriber = redis.GetSubscriber();
        await SubscribeAsync(subscriber, stoppingToken).ConfigureAwait(false);
        var db = redis.GetDatabase();

        using var heartbeat = StartHeartbeat(db, stoppingToken);
        var nextReconcile = _time.GetUtcNow();
        while (!stoppingToken.IsCancellationRequested)
        {
            if (_time.GetUtcNow() >= nextReconcile)
            {
                await ReconcileAsync(db).ConfigureAwait(false);
                nextReconcile = _time.GetUtcNow() + (_store.IsLoaded ? _options.ReconcileInterval : TimeSpan.FromMilliseconds(500));
            }

            using var wait = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            var delay = nextReconcile - _time.GetUtcNow();
            wait.CancelAfter(delay > TimeSpan.Zero ? delay : TimeSpan.Zero);
            try
            {
                while (await _events.Reader.WaitToReadAsync(wait.Token).ConfigureAwait(false))
                {
                    while (_events.Reader.TryRead(out var e))
                    {
                        await HandleAsync(db, e).ConfigureAwait(false);
                    }
                }
            }
            catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
            {
                // Time to reconcile.
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

        // Leave the acknowledgements of a stopped edge to its heartbeat's expiry.
        await db.SortedSetRemoveAsync(_layout.Edges, EdgeName, CommandFlags.FireAndForget).ConfigureAwait(false);
    }

    private async Task SubscribeAsync(ISubscriber subscriber, CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                // The library re-subscribes by itself after a reconnect.
                await subscriber.SubscribeAsync(_layout.Changes, (_, message) =>
                {
                    if (Announcement.TryParse((byte[])message!) is { } announcement)
                    {
                        _events.Writer.TryWrite(new SyncEvent(SyncEventKind.Announcement, announcement));
                    }
                }).ConfigureAwait(false);
                return;
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException)
            {
                MarkProblem("Redis unreachable: " + ex.Message);
                await Task.Delay(TimeSpan.FromMilliseconds(500), _time, stoppingToken).ConfigureAwait(false);
            }
        }
    }

    private ITimer StartHeartbeat(IDatabase db, CancellationToken stoppingToken) =>
        _time.CreateTimer(
            _ =>
            {
                if (stoppingToken.IsCancellationRequested)
                {
                    return;
                }

                // Fire and forget: a heartbeat never blocks, and a missed one is harmless.
                db.SortedSetAdd(_layout.Edges, EdgeName, _time.GetUtcNow().ToUnixTimeMilliseconds(), CommandFlags.FireAndForget);
            },
            null,
            TimeSpan.Zero,
            _options.HeartbeatInterval);

    private async Task HandleAsync(IDatabase db, SyncEvent e)
    {
        try
        {
            switch (e.Kind)
            {
                case SyncEventKind.Announcement:
                    await ApplyAsync(db, e.Announcement!).ConfigureAwait(false);
                    break;
                case SyncEventKind.Disconnected:
                    _heldAtFailure ??= _store.Apps.ToDictionary(
                        static a => a.AppId,
                        static a => (a.Generation, a.Overrides.Generation),
                        StringComparer.OrdinalIgnoreCase);
                    MarkProblem("Redis connection lost; serving the last projection held");
                    break;
                case SyncEventKind.Restored:
                    LogReconnected(_logger);
                    await ReconcileAsync(db).ConfigureAwait(false);
                    break;
            }
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            // The periodic reconcile retries whatever failed here.
            MarkProblem("Redis error: " + ex.Message);
        }
    }

    private async Task ApplyAsync(IDatabase db, Announcement announcement)
    {
        var held = _store.Find(announcement.AppId);
        switch (announcement.Type)
        {
            case Announcement.AppType when held is null || held.Generation < announcement.Generation:
                await LoadAppAsync(db, announcement.AppId, forceOverrides: false).ConfigureAwait(false);
                break;

            case Announcement.OverrideType when held is not null && announcement.DeviceId is not null:
                var map = held.Overrides;
                if (map.Generation < announcement.Generation)
                {
                    if (announcement.Channel is null)
                    {
                        map.Remove(announcement.DeviceId);
                    }
                    else
                    {
                        map.Set(announcement.DeviceId, announcement.Channel);
                    }

                    map.Generation = announcement.Generation;
                    Acknowledge(db, held);
                }

                break;

            case Announcement.DeleteType when held is not null && held.Generation <= announcement.Generation:
                Remove(db, announcement.AppId);
                break;
        }
    }

    /// <summary>Compares every generation with Redis and reloads what is stale.</summary>
    private async Task ReconcileAsync(IDatabase db)
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
                var gen = ToLong(gens[0]);
                var ogen = ToLong(gens[1]);
                if (gen == 0)
                {
                    continue;
                }

                var held = _store.Find(id);
                var missedOverrides = _heldAtFailure is not null && _heldAtFailure.TryGetValue(id, out var atFailure) && atFailure.OGen != ogen;
                if (held is null || held.Generation < gen || held.Overrides.Generation < ogen || missedOverrides)
                {
                    stale.Add((id, missedOverrides));
                }
            }

            // Fetch and parse in parallel (a cold start reads every app), install on this loop.
            var fetched = new FetchedApp?[stale.Count];
            await Parallel.ForAsync(0, stale.Count, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, _) =>
                fetched[i] = await FetchAsync(db, stale[i].Id, stale[i].ForceOverrides).ConfigureAwait(false)).ConfigureAwait(false);
            foreach (var app in fetched)
            {
                if (app is not null)
                {
                    Install(db, app);
                }
            }

            var reloaded = stale.Count;

            foreach (var tombstone in tombstones)
            {
                var held = _store.Find(tombstone.Name.ToString());
                if (held is not null && held.Generation <= ToLong(tombstone.Value))
                {
                    Remove(db, held.AppId);
                }
            }

            // An app missing from Redis without a tombstone stays: Redis may have come back empty.
            _heldAtFailure = null;
            _health.Problem = null;
            _health.LastSyncUnixMs = _time.GetUtcNow().ToUnixTimeMilliseconds();
            if (!_store.IsLoaded)
            {
                _store.MarkLoaded();
                LogReady(_logger, _store.Count, EdgeName);
            }
            else if (reloaded > 0)
            {
                LogReconciled(_logger, reloaded);
            }
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            MarkProblem(_store.IsLoaded
                ? "Redis unreachable; serving the last projection held: " + ex.Message
                : "Redis unreachable at start; serving nothing until the projection loads: " + ex.Message);
        }
    }

    private async Task LoadAppAsync(IDatabase db, string appId, bool forceOverrides)
    {
        if (await FetchAsync(db, appId, forceOverrides).ConfigureAwait(false) is { } fetched)
        {
            Install(db, fetched);
        }
    }

    /// <summary>An app read from Redis and parsed, not yet installed.</summary>
    private sealed record FetchedApp(AppSnapshot Parsed, DeviceOverrides Overrides);

    /// <summary>
    /// Reads and parses an app (and its overrides when they moved). Safe to run for many apps at once:
    /// it only reads the store; <see cref="Install"/> changes it, on the sync loop.
    /// </summary>
    private async Task<FetchedApp?> FetchAsync(IDatabase db, string appId, bool forceOverrides)
    {
        var fields = await db.HashGetAsync(_layout.App(appId), ["doc", "gen", "ogen"]).ConfigureAwait(false);
        if (fields[0].IsNull)
        {
            return null;
        }

        var gen = ToLong(fields[1]);
        var ogen = ToLong(fields[2]);
        AppSnapshot parsed;
        try
        {
            parsed = AppDocument.Parse(((byte[])fields[0]!).AsSpan(), gen);
        }
        catch (ProjectionException ex)
        {
            // Publishers validate before writing; a bad document here was written by hand.
            LogDocumentRejected(_logger, appId, ex.Field, ex.Problem);
            return null;
        }

        var overrides = _store.Find(appId)?.Overrides;
        if (overrides is null || forceOverrides || overrides.Generation < ogen)
        {
            overrides = await LoadOverridesAsync(db, appId, ogen).ConfigureAwait(false);
        }

        return new FetchedApp(parsed, overrides);
    }

    private void Install(IDatabase db, FetchedApp fetched)
    {
        var (parsed, overrides) = fetched;
        var held = _store.Find(parsed.AppId);
        if (held is not null && held.Generation >= parsed.Generation)
        {
            // Same document, newer overrides: swap the map in without a new generation.
            if (held.Generation == parsed.Generation && !ReferenceEquals(held.Overrides, overrides))
            {
                _store.Replace(held.WithOverrides(overrides));
            }
        }
        else
        {
            _store.TryApply(parsed.WithOverrides(overrides));
            LogAppLoaded(_logger, parsed.AppId, parsed.Generation);
        }

        Acknowledge(db, _store.Find(parsed.AppId)!);
    }

    private async Task<DeviceOverrides> LoadOverridesAsync(IDatabase db, string appId, long ogen)
    {
        var key = _layout.AppOverrides(appId);
        var count = await db.HashLengthAsync(key).ConfigureAwait(false);
        var map = new DeviceOverrides((int)Math.Min(count, int.MaxValue));
        await foreach (var entry in db.HashScanAsync(key, pageSize: 10_000).ConfigureAwait(false))
        {
            map.Set(entry.Name.ToString(), string.Intern(entry.Value.ToString()));
        }

        map.Generation = ogen;
        return map;
    }

    private void Remove(IDatabase db, string appId)
    {
        if (_store.Remove(appId))
        {
            LogAppDeleted(_logger, appId);
        }

        db.HashDelete(_layout.EdgeApps(EdgeName), appId, CommandFlags.FireAndForget);
    }

    private void Acknowledge(IDatabase db, AppSnapshot app)
    {
        _health.LastSyncUnixMs = _time.GetUtcNow().ToUnixTimeMilliseconds();
        var value = app.GenerationText + " " + app.Overrides.Generation.ToString(CultureInfo.InvariantCulture);
        db.HashSet(_layout.EdgeApps(EdgeName), app.AppId, value, flags: CommandFlags.FireAndForget);
    }

    private void MarkProblem(string problem)
    {
        if (_health.Problem != problem)
        {
            LogDegraded(_logger, problem);
        }

        _health.Problem = problem;
    }

    private static long ToLong(RedisValue value) =>
        value.IsNullOrEmpty ? 0 : long.Parse(value.ToString(), CultureInfo.InvariantCulture);

    [LoggerMessage(EventId = 1101, Level = LogLevel.Information, Message = "Loaded app {AppId} at generation {Generation} from Redis")]
    private static partial void LogAppLoaded(ILogger logger, string appId, long generation);

    [LoggerMessage(EventId = 1102, Level = LogLevel.Error, Message = "Ignored app {AppId} from Redis: {Field}: {Problem}; keeping the last good snapshot")]
    private static partial void LogDocumentRejected(ILogger logger, string appId, string field, string problem);

    [LoggerMessage(EventId = 1103, Level = LogLevel.Information, Message = "Deleted app {AppId}")]
    private static partial void LogAppDeleted(ILogger logger, string appId);

    [LoggerMessage(EventId = 1104, Level = LogLevel.Warning, Message = "Projection sync degraded: {Problem}")]
    private static partial void LogDegraded(ILogger logger, string problem);

    [LoggerMessage(EventId = 1105, Level = LogLevel.Information, Message = "Projection ready: {Count} apps from Redis, edge {EdgeName}")]
    private static partial void LogReady(ILogger logger, int count, string edgeName);

    [LoggerMessage(EventId = 1106, Level = LogLevel.Information, Message = "Reconciled: reloaded {Count} stale apps")]
    private static partial void LogReconciled(ILogger logger, int count);

    [LoggerMessage(EventId = 1107, Level = LogLevel.Information, Message = "Redis connection restored; reconciling")]
    private static partial void LogReconnected(ILogger logger);
}

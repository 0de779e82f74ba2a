using Capgo.Edge.Core;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Capgo.Edge.Redis;

/// <summary>An app read from Redis and parsed, not yet installed.</summary>
internal sealed record FetchedApp(AppSnapshot Parsed, DeviceOverrides Overrides);

/// <summary>
/// Reads apps from Redis into the <see cref="ProjectionStore"/>: fetch and parse (safe to run for many
/// apps at once: it only reads the store), then install or remove (on the sync loop only, so an app's
/// document and overrides never race), acknowledging what is served.
/// </summary>
internal sealed partial class ProjectionReader
{
    /// <summary>Pins read in one <c>HGETALL</c>: about 5 MB of reply, a few milliseconds of Redis's time.</summary>
    private const int WholeHashLimit = 100_000;

    private readonly ProjectionStore _store;
    private readonly RedisLayout _layout;
    private readonly EdgePresence _presence;
    private readonly ILogger<ProjectionReader> _logger;

    public ProjectionReader(ProjectionStore store, RedisLayout layout, EdgePresence presence, ILogger<ProjectionReader> logger)
    {
        _store = store;
        _layout = layout;
        _presence = presence;
        _logger = logger;
    }

    /// <summary>Fetches and installs one app; an app gone from Redis (or refused) is left as held.</summary>
    public async Task LoadAsync(IDatabase db, string appId, bool forceOverrides)
    {
        if (await FetchAsync(db, appId, forceOverrides).ConfigureAwait(false) is { } fetched)
        {
            Install(db, fetched);
        }
    }

    /// <summary>
    /// Reads and parses an app, and its overrides when they are not the ones held (or when forced). Bad
    /// data — a malformed generation or document — is refused for this app alone: it keeps its last good
    /// snapshot, the refusal is recorded in the store (health, metrics) and logged once per reason, and
    /// the result is null. Only Redis failures propagate.
    /// </summary>
    public async Task<FetchedApp?> FetchAsync(IDatabase db, string appId, bool forceOverrides)
    {
        var read = db.HashGetAsync(_layout.App(appId), ["doc", "gen"]);
        var ogenValue = db.StringGetAsync(_layout.AppOverridesGeneration(appId));
        var fields = await read.ConfigureAwait(false);
        if (fields[0].IsNull)
        {
            return null;
        }

        AppSnapshot parsed;
        long ogen;
        try
        {
            var gen = Generations.Parse(fields[1]);
            ogen = Generations.Parse(await ogenValue.ConfigureAwait(false));
            parsed = AppDocument.Parse(((byte[])fields[0]!).AsSpan(), gen);
        }
        catch (ProjectionException ex)
        {
            // Publishers validate before writing; a bad document here was written by hand.
            return Refuse(appId, $"{ex.Field}: {ex.Problem}");
        }
        catch (FormatException ex)
        {
            return Refuse(appId, ex.Message);
        }

        var overrides = _store.Find(appId)?.Overrides;
        if (overrides is null || forceOverrides || overrides.Generation != ogen)
        {
            overrides = await LoadOverridesAsync(db, appId, ogen).ConfigureAwait(false);
        }

        return new FetchedApp(parsed, overrides);
    }

    /// <summary>Records that the app's data is refused; logs only a new reason, so a reconcile that meets it again stays quiet.</summary>
    public FetchedApp? Refuse(string appId, string reason)
    {
        if (_store.Reject(appId, reason))
        {
            LogDataRejected(_logger, appId, reason);
        }

        return null;
    }

    /// <summary>
    /// Swaps a fetched app into the store; on the sync loop only. What was fetched is what Redis holds
    /// now, so it replaces any other generation held, older or — after Redis's clock went back — newer.
    /// </summary>
    public void Install(IDatabase db, FetchedApp fetched)
    {
        var (parsed, overrides) = fetched;
        var held = _store.Find(parsed.AppId);
        _store.Accept(parsed.AppId);
        if (held is not null && held.Generation == parsed.Generation)
        {
            // Same document, other overrides: swap the map in without a new generation.
            if (!ReferenceEquals(held.Overrides, overrides))
            {
                _store.Replace(held.WithOverrides(overrides));
            }
        }
        else
        {
            _store.Replace(parsed.WithOverrides(overrides));
            LogAppLoaded(_logger, parsed.AppId, parsed.Generation);
        }

        _presence.Acknowledge(db, _store.Find(parsed.AppId)!);
    }

    /// <summary>Stops serving a deleted app; on the sync loop only.</summary>
    public void Remove(IDatabase db, string appId)
    {
        if (_store.Remove(appId))
        {
            LogAppDeleted(_logger, appId);
        }

        _presence.Forget(db, appId);
    }

    /// <summary>
    /// Reads the app's pins: a hash of up to <see cref="WholeHashLimit"/> in one reply, a larger one in
    /// pages, so that no single reply holds Redis for long. Pins are collected as they arrive and sorted
    /// once; ids and names are read from the reply's bytes.
    /// </summary>
    private async Task<DeviceOverrides> LoadOverridesAsync(IDatabase db, string appId, long ogen)
    {
        var key = _layout.AppOverrides(appId);
        var count = await db.HashLengthAsync(key).ConfigureAwait(false);
        DeviceOverridesBuilder builder;
        if (count <= WholeHashLimit)
        {
            var entries = await db.HashGetAllAsync(key).ConfigureAwait(false);
            builder = new DeviceOverridesBuilder(entries.Length);
            foreach (var entry in entries)
            {
                builder.Add(((ReadOnlyMemory<byte>)entry.Name).Span, ((ReadOnlyMemory<byte>)entry.Value).Span);
            }
        }
        else
        {
            builder = new DeviceOverridesBuilder((int)Math.Min(count, Array.MaxLength));
            await foreach (var entry in db.HashScanAsync(key, pageSize: 10_000).ConfigureAwait(false))
            {
                builder.Add(((ReadOnlyMemory<byte>)entry.Name).Span, ((ReadOnlyMemory<byte>)entry.Value).Span);
            }
        }

        var map = builder.Build();
        map.Generation = ogen;
        return map;
    }

    [LoggerMessage(EventId = 1101, Level = LogLevel.Information, Message = "Loaded app {AppId} at generation {Generation} from Redis")]
    private static partial void LogAppLoaded(ILogger logger, string appId, long generation);

    [LoggerMessage(EventId = 1102, Level = LogLevel.Error, Message = "Refused app {AppId} from Redis: {Reason}; keeping its last good snapshot")]
    private static partial void LogDataRejected(ILogger logger, string appId, string reason);

    [LoggerMessage(EventId = 1103, Level = LogLevel.Information, Message = "Deleted app {AppId}")]
    private static partial void LogAppDeleted(ILogger logger, string appId);
}

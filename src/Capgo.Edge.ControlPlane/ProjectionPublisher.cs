using System.Globalization;
using System.Text.Json.Nodes;
using Capgo.Edge.Core;
using Capgo.Edge.Redis;
using StackExchange.Redis;

namespace Capgo.Edge.ControlPlane;

/// <summary>
/// Publishes app documents and device overrides into Redis (docs/redis-layout.md) and announces them.
/// Every document is validated whole with the edge's own parser before anything is written.
/// </summary>
public sealed class ProjectionPublisher
{
    private const int StagingBatch = 10_000;
    private readonly IDatabase _db;
    private readonly RedisLayout _layout;
    private readonly TimeProvider _time;

    public ProjectionPublisher(IConnectionMultiplexer redis, RedisLayout layout, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(redis);
        _db = redis.GetDatabase();
        _layout = layout;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>
    /// How long an edge may stay silent and still count as live: three of its heartbeats at the longest
    /// <c>Sync:HeartbeatInterval</c> (5 s), so two lost ones do not drop it.
    /// </summary>
    public TimeSpan EdgeLiveness { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// How often <see cref="WaitForEdgesAsync"/> reads the acknowledgements: one pipelined round trip of
    /// 1 + edges commands, short next to the publish → served time it waits for.
    /// </summary>
    private static readonly TimeSpan WaitPollInterval = TimeSpan.FromMilliseconds(5);

    /// <summary>Validates and publishes one app document; returns its new generation.</summary>
    /// <remarks>
    /// A document with <c>device_overrides</c> replaces the app's overrides; one without keeps them.
    /// </remarks>
    /// <param name="document">The app document (projection.md).</param>
    /// <param name="ifGeneration">
    /// Publish only if the app is still at this generation (0: not published yet); otherwise
    /// <see cref="StaleGenerationException"/> and nothing is written. Null publishes whatever is there.
    /// </param>
    public Task<long> PublishAsync(ReadOnlyMemory<byte> document, long? ifGeneration = null) =>
        PublishValidatedAsync(document, AppStore.Validate(document.Span), ifGeneration, null);

    /// <summary>
    /// Publishes a document <see cref="AppStore.Validate"/> accepted as <paramref name="snapshot"/>, with the
    /// change's audit and channel-history entries written in the same script.
    /// </summary>
    internal async Task<long> PublishValidatedAsync(ReadOnlyMemory<byte> document, AppSnapshot snapshot, long? ifGeneration, ChangeRecord? record)
    {
        var root = (JsonObject)JsonNode.Parse(document.Span)!;
        var replaceOverrides = root.Remove("device_overrides", out var overridesNode) && overridesNode is not null;
        var stored = root.ToJsonString();

        string staging = "";
        if (replaceOverrides && snapshot.Overrides.Count > 0)
        {
            staging = _layout.Prefix + "staging:" + Guid.NewGuid().ToString("N");
            await StageOverridesAsync(staging, snapshot.Overrides).ConfigureAwait(false);
        }

        var history = record?.History ?? [];
        var args = new List<RedisValue>
        {
            ifGeneration is { } expected ? expected.ToString(CultureInfo.InvariantCulture) : "",
            record?.Audit ?? "",
            history.Count,
        };
        RedisKey[] keys =
        [
            _layout.Generation, _layout.Apps, _layout.App(snapshot.AppId), _layout.AppChannels(snapshot.AppId),
            _layout.AppOverrides(snapshot.AppId), _layout.Tombstones, staging.Length == 0 ? _layout.Prefix + "staging:none" : staging,
            _layout.Audit, _layout.AppOverridesGeneration(snapshot.AppId), .. history.Select(h => _layout.ChannelHistory(snapshot.AppId, h.Channel)),
        ];
        args.AddRange(history.Select(static h => (RedisValue)h.Entry));
        args.AddRange(
        [
            snapshot.AppId,
            stored,
            _layout.Changes.ToString(),
            replaceOverrides ? "1" : "0",
        ]);
        foreach (var channel in snapshot.Channels)
        {
            args.Add(channel.Name);
        }

        try
        {
            var result = await _db.ScriptEvaluateAsync(Scripts.Publish, keys, [.. args]).ConfigureAwait(false);
            return Generations.Parse(result);
        }
        catch (RedisServerException ex) when (Scripts.IsStale(ex))
        {
            throw new StaleGenerationException(Scripts.Refusal(ex), ex);
        }
    }

    private async Task StageOverridesAsync(string staging, DeviceOverrides overrides)
    {
        // Large override sets go in batches into a key of their own; the publish script renames it
        // into place atomically. The expiry cleans up after a publisher that died half-way.
        var batch = new List<HashEntry>(StagingBatch);
        foreach (var (device, channel) in overrides.Entries)
        {
            batch.Add(new HashEntry(device, channel));
            if (batch.Count == StagingBatch)
            {
                await _db.HashSetAsync(staging, [.. batch]).ConfigureAwait(false);
                batch.Clear();
            }
        }

        if (batch.Count > 0)
        {
            await _db.HashSetAsync(staging, [.. batch]).ConfigureAwait(false);
        }

        await _db.KeyExpireAsync(staging, TimeSpan.FromHours(1)).ConfigureAwait(false);
    }

    /// <summary>Pins one device to a channel of a published app; returns the new overrides generation.</summary>
    public Task<long> SetOverrideAsync(string appId, string deviceId, string channel)
    {
        ArgumentException.ThrowIfNullOrEmpty(channel);
        return OverrideChange.RunAsync(_db, _layout, appId, deviceId, channel);
    }

    /// <summary>Removes one device's pin; returns the new overrides generation.</summary>
    public Task<long> RemoveOverrideAsync(string appId, string deviceId) =>
        OverrideChange.RunAsync(_db, _layout, appId, deviceId, "");

    /// <summary>Deletes an app: edges stop serving it (the only reason they do).</summary>
    public async Task<long> DeleteAsync(string appId)
    {
        try
        {
            var result = await _db.ScriptEvaluateAsync(
                Scripts.Delete,
                [_layout.Generation, _layout.Apps, _layout.App(appId), _layout.AppChannels(appId), _layout.AppOverrides(appId), _layout.Tombstones, _layout.AppOverridesGeneration(appId)],
                [appId, _layout.Changes.ToString()]).ConfigureAwait(false);
            return Generations.Parse(result);
        }
        catch (RedisServerException ex)
        {
            throw new PublishException(Scripts.Refusal(ex), ex);
        }
    }

    /// <summary>The app as stored, and what each live edge serves of it; null when not published.</summary>
    public async Task<AppInfo?> InspectAsync(string appId)
    {
        var fields = await _db.HashGetAsync(_layout.App(appId), ["doc", "gen"]).ConfigureAwait(false);
        if (fields[0].IsNull)
        {
            return null;
        }

        var ogen = Generations.Parse(await _db.StringGetAsync(_layout.AppOverridesGeneration(appId)).ConfigureAwait(false));

        var snapshot = AppDocument.Parse(((byte[])fields[0]!).AsSpan(), 0);
        var overrides = await _db.HashLengthAsync(_layout.AppOverrides(appId)).ConfigureAwait(false);
        var edges = new List<EdgeAck>();
        foreach (var edge in await LiveEdgesAsync().ConfigureAwait(false))
        {
            var ack = await _db.HashGetAsync(_layout.EdgeApps(edge), appId).ConfigureAwait(false);
            var (ackGen, ackOgen) = Generations.ParseAck(ack);
            edges.Add(new EdgeAck(edge, ackGen, ackOgen));
        }

        return new AppInfo(
            appId,
            Generations.Parse(fields[1]),
            ogen,
            snapshot.Status,
            [.. snapshot.Channels.Select(static c => c.Name)],
            snapshot.Bundles.Count,
            overrides,
            edges);
    }

    /// <summary>
    /// The app's whole current document, device overrides included, as UTF-8 JSON that
    /// <see cref="PublishAsync"/> accepts unchanged; null when not published.
    /// </summary>
    public Task<byte[]?> GetDocumentAsync(string appId) => StoredDocument.ReadAsync(_db, _layout, appId);

    /// <summary>Edges whose heartbeat is recent.</summary>
    public async Task<IReadOnlyList<string>> LiveEdgesAsync()
    {
        var since = _time.GetUtcNow().ToUnixTimeMilliseconds() - (long)EdgeLiveness.TotalMilliseconds;
        var names = await _db.SortedSetRangeByScoreAsync(_layout.Edges, since, double.PositiveInfinity).ConfigureAwait(false);
        return [.. names.Select(static n => n.ToString())];
    }

    /// <summary>
    /// Waits until every live edge serves the app's document (or, with <paramref name="overrides"/>, its
    /// overrides) at exactly <paramref name="generation"/>, or at the generation Redis holds now when a
    /// later change replaced it. Generations are compared for equality: one from a clock that went back
    /// is not taken for older, and an edge holding another generation is lagging.
    /// </summary>
    /// <remarks><paramref name="progress"/> is told each poll's state (e.g. for a terminal's progress line).</remarks>
    public async Task<WaitResult> WaitForEdgesAsync(string appId, long generation, bool overrides, TimeSpan timeout, IProgress<WaitResult>? progress = null, CancellationToken cancellationToken = default)
    {
        var deadline = _time.GetUtcNow() + timeout;
        var edges = await LiveEdgesAsync().ConfigureAwait(false);
        while (true)
        {
            // One round trip per poll whatever the number of edges: every read is sent before any is awaited.
            var current = Generations.ReadAsync(_db, _layout, appId);
            var acks = edges.Select(edge => _db.HashGetAsync(_layout.EdgeApps(edge), appId)).ToList();
            var (gen, ogen) = await current.ConfigureAwait(false);
            var now = overrides ? ogen : gen;
            var serving = new List<string>();
            var lagging = new List<string>();
            for (var i = 0; i < edges.Count; i++)
            {
                var (ackGen, ackOgen) = Generations.ParseAck(await acks[i].ConfigureAwait(false));
                var held = overrides ? ackOgen : ackGen;
                (held == generation || (held == now && now != 0) ? serving : lagging).Add(edges[i]);
            }

            var state = new WaitResult(lagging.Count == 0, serving, lagging);
            if (lagging.Count == 0 || _time.GetUtcNow() >= deadline)
            {
                return state;
            }

            progress?.Report(state);

            await Task.Delay(WaitPollInterval, _time, cancellationToken).ConfigureAwait(false);
        }
    }
}

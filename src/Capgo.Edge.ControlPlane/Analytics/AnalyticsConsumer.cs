using System.Buffers;
using Capgo.Edge.Redis;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Capgo.Edge.ControlPlane.Analytics;

/// <summary>
/// Counts the device events edges write to one event shard (docs/events.md) as one consumer of the
/// shard's group <see cref="RedisLayout.AnalyticsGroup"/> (the service runs one per shard): it reads a batch, merges what it adds
/// (<see cref="AnalyticsBatch"/>) and writes that with the batch's acknowledgement in one script, which
/// refuses when another consumer took any entry over meanwhile — so each entry counts exactly once,
/// whichever consumer crashes or is slow. On start it first finishes what it left pending; entries
/// another consumer left pending longer than <see cref="AnalyticsOptions.ClaimAfter"/> it takes over.
/// </summary>
public sealed partial class AnalyticsConsumer
{
    private readonly IDatabase _db;
    private readonly EventShard _shard;
    private readonly AnalyticsOptions _options;
    private readonly ILogger _logger;

    /// <summary>A consumer of <paramref name="layout"/>'s event shard <paramref name="shard"/>.</summary>
    public AnalyticsConsumer(IConnectionMultiplexer redis, RedisLayout layout, AnalyticsOptions options, ILogger<AnalyticsConsumer> logger, int shard = 0)
    {
        ArgumentNullException.ThrowIfNull(redis);
        ArgumentNullException.ThrowIfNull(layout);
        ArgumentNullException.ThrowIfNull(options);
        _db = redis.GetDatabase();
        _shard = layout.EventShards[shard];
        _options = options;
        _logger = logger;
        Name = options.ConsumerName is { Length: > 0 } name ? name : $"{Environment.MachineName}-{Environment.ProcessId}";
    }

    /// <summary>The shard this consumer reads.</summary>
    public EventShard Shard => _shard;

    /// <summary>This consumer's name in the group.</summary>
    public string Name { get; }

    /// <summary>Entries counted by this consumer since it started.</summary>
    public long Counted => Interlocked.Read(ref _counted);

    private long _counted;

    /// <summary>Creates the group (from the stream's first entry) unless it exists.</summary>
    public async Task EnsureGroupAsync()
    {
        try
        {
            await _db.StreamCreateConsumerGroupAsync(_shard.Events, RedisLayout.AnalyticsGroup, StreamPosition.Beginning, createStream: true).ConfigureAwait(false);
        }
        catch (RedisServerException ex) when (ex.Message.StartsWith("BUSYGROUP", StringComparison.Ordinal))
        {
            // Another consumer created it.
        }
    }

    /// <summary>
    /// Runs until stopped: its own pending entries first, then new ones, taking over stale ones from time
    /// to time. Batches overlap: the next one is read while the current one is counted, and its script is
    /// built and sent before the current one's answer is awaited, so Redis runs one script while this
    /// process builds the next (one connection: Redis runs them in the order they were sent). What was
    /// read ahead is counted before a stop returns.
    /// </summary>
    public async Task RunAsync(CancellationToken stoppingToken)
    {
        await EnsureGroupAsync().ConfigureAwait(false);
        while (await ProcessAsync(await ReadAsync("0").ConfigureAwait(false)).ConfigureAwait(false) > 0)
        {
        }

        var nextClaim = DateTime.UtcNow;
        Task<StreamEntry[]>? reading = null;
        Task<int>? counting = null;
        while (!stoppingToken.IsCancellationRequested)
        {
            var done = 0;
            if (DateTime.UtcNow >= nextClaim)
            {
                done += await ClaimAsync().ConfigureAwait(false);
                nextClaim = DateTime.UtcNow + _options.ClaimAfter / 2;
            }

            var batch = await (reading ?? ReadAsync(">")).ConfigureAwait(false);
            reading = batch.Length == _options.BatchSize ? ReadAsync(">") : null;
            var previous = counting;
            counting = batch.Length > 0 ? ProcessAsync(batch) : null;
            if (previous is not null)
            {
                done += await previous.ConfigureAwait(false);
            }

            if (counting is null && done == 0)
            {
                await Task.Delay(_options.IdleDelay, stoppingToken).ConfigureAwait(false);
            }
        }

        if (counting is not null)
        {
            await counting.ConfigureAwait(false);
        }

        if (reading is not null)
        {
            await ProcessAsync(await reading.ConfigureAwait(false)).ConfigureAwait(false);
        }
    }

    /// <summary>Reads one batch: <c>0</c> re-reads this consumer's pending entries, <c>&gt;</c> new ones.</summary>
    public async Task<StreamEntry[]> ReadAsync(RedisValue position) =>
        await _db.StreamReadGroupAsync(_shard.Events, RedisLayout.AnalyticsGroup, Name, position, _options.BatchSize).ConfigureAwait(false);

    /// <summary>Takes over entries other consumers left pending too long, and counts them.</summary>
    public async Task<int> ClaimAsync()
    {
        var done = 0;
        RedisValue start = "0-0";
        while (true)
        {
            var claimed = await _db.StreamAutoClaimAsync(
                _shard.Events, RedisLayout.AnalyticsGroup, Name, (long)_options.ClaimAfter.TotalMilliseconds, start, _options.BatchSize).ConfigureAwait(false);
            if (claimed.DeletedIds.Length > 0)
            {
                // Trimmed from the stream before anyone counted them: acknowledged so they stop being pending, and counted as lost.
                await _db.StreamAcknowledgeAsync(_shard.Events, RedisLayout.AnalyticsGroup, claimed.DeletedIds).ConfigureAwait(false);
                await _db.HashIncrementAsync(_shard.AnalyticsCounts, "trimmed", claimed.DeletedIds.Length).ConfigureAwait(false);
            }

            done += await ProcessAsync(claimed.ClaimedEntries).ConfigureAwait(false);
            if (claimed.NextStartId == "0-0")
            {
                return done;
            }

            start = claimed.NextStartId;
        }
    }

    /// <summary>
    /// Counts a batch this consumer holds and acknowledges it, exactly once: when the script finds an
    /// entry no longer pending for this consumer, the batch is rebuilt from the entries it still holds.
    /// </summary>
    public async Task<int> ProcessAsync(StreamEntry[] entries)
    {
        var batch = entries;
        while (batch.Length > 0)
        {
            var counts = new AnalyticsBatch(_shard, _options);
            foreach (var entry in batch)
            {
                counts.Add(DeviceEventEntry.Parse(entry.Values));
            }

            try
            {
                using var reply = await EvaluateAsync(batch, counts).ConfigureAwait(false);
                Interlocked.Add(ref _counted, batch.Length);
                if (counts.Malformed > 0)
                {
                    LogMalformed(_logger, counts.Malformed, Name);
                }

                return batch.Length;
            }
            catch (RedisServerException ex) when (ex.Message.StartsWith("STALE ", StringComparison.Ordinal))
            {
                batch = await StillMineAsync(batch).ConfigureAwait(false);
            }
        }

        return 0;
    }

    /// <summary>
    /// Sends the batch's script. Its arguments run to a few hundred kilobytes: pooled arrays keep them off
    /// the large object heap, and go back to the pool as soon as the call returns (the client renders the
    /// arguments when called).
    /// </summary>
    private Task<RespResult> EvaluateAsync(StreamEntry[] batch, AnalyticsBatch counts)
    {
        var operations = counts.OperationsLength;
        var length = 3 + batch.Length + operations;
        var keyCount = 2 + counts.KeysLength;
        var args = ArrayPool<RedisValue>.Shared.Rent(length);
        var keys = ArrayPool<RedisKey>.Shared.Rent(keyCount);
        try
        {
            (args[0], args[1], args[2]) = (RedisLayout.AnalyticsGroup, Name, batch.Length);
            for (var i = 0; i < batch.Length; i++)
            {
                args[3 + i] = batch[i].Id;
            }

            (keys[0], keys[1]) = (_shard.Events, _shard.AnalyticsCounts);
            counts.WriteOperations(args.AsSpan(3 + batch.Length, operations), keys.AsSpan(2, keyCount - 2));
            return _db.ScriptEvaluateRespAsync(Scripts.Aggregate, keys.AsMemory(0, keyCount), args.AsMemory(0, length));
        }
        finally
        {
            ArrayPool<RedisValue>.Shared.Return(args, clearArray: true);
            ArrayPool<RedisKey>.Shared.Return(keys, clearArray: true);
        }
    }

    private async Task<StreamEntry[]> StillMineAsync(StreamEntry[] batch)
    {
        var pending = await _db.StreamPendingMessagesAsync(
            _shard.Events, RedisLayout.AnalyticsGroup, batch.Length + 100_000, Name, batch[0].Id, batch[^1].Id).ConfigureAwait(false);
        var mine = pending.Select(static p => p.MessageId).ToHashSet();
        return [.. batch.Where(e => mine.Contains(e.Id))];
    }

    [LoggerMessage(EventId = 3001, Level = LogLevel.Warning, Message = "Skipped {Count} malformed stream entries (consumer {Consumer}); counted in analytics:counts malformed")]
    private static partial void LogMalformed(ILogger logger, int count, string consumer);
}

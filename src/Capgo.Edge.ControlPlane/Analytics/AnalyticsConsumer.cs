using Capgo.Edge.Redis;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Capgo.Edge.ControlPlane.Analytics;

/// <summary>
/// Counts the device events edges write (docs/events.md) as one consumer of the group
/// <see cref="RedisLayout.AnalyticsGroup"/>: it reads a batch, merges what it adds
/// (<see cref="AnalyticsBatch"/>) and writes that with the batch's acknowledgement in one script, which
/// refuses when another consumer took any entry over meanwhile — so each entry counts exactly once,
/// whichever consumer crashes or is slow. On start it first finishes what it left pending; entries
/// another consumer left pending longer than <see cref="AnalyticsOptions.ClaimAfter"/> it takes over.
/// </summary>
public sealed partial class AnalyticsConsumer
{
    private readonly IDatabase _db;
    private readonly RedisLayout _layout;
    private readonly AnalyticsOptions _options;
    private readonly ILogger _logger;

    public AnalyticsConsumer(IConnectionMultiplexer redis, RedisLayout layout, AnalyticsOptions options, ILogger<AnalyticsConsumer> logger)
    {
        ArgumentNullException.ThrowIfNull(redis);
        ArgumentNullException.ThrowIfNull(options);
        _db = redis.GetDatabase();
        _layout = layout;
        _options = options;
        _logger = logger;
        Name = options.ConsumerName is { Length: > 0 } name ? name : $"{Environment.MachineName}-{Environment.ProcessId}";
    }

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
            await _db.StreamCreateConsumerGroupAsync(_layout.Events, RedisLayout.AnalyticsGroup, StreamPosition.Beginning, createStream: true).ConfigureAwait(false);
        }
        catch (RedisServerException ex) when (ex.Message.StartsWith("BUSYGROUP", StringComparison.Ordinal))
        {
            // Another consumer created it.
        }
    }

    /// <summary>Runs until stopped: its own pending entries first, then new ones, taking over stale ones from time to time.</summary>
    public async Task RunAsync(CancellationToken stoppingToken)
    {
        await EnsureGroupAsync().ConfigureAwait(false);
        while (await ProcessAsync(await ReadAsync("0").ConfigureAwait(false)).ConfigureAwait(false) > 0)
        {
        }

        var nextClaim = DateTime.UtcNow;
        while (!stoppingToken.IsCancellationRequested)
        {
            var done = 0;
            if (DateTime.UtcNow >= nextClaim)
            {
                done += await ClaimAsync().ConfigureAwait(false);
                nextClaim = DateTime.UtcNow + _options.ClaimAfter / 2;
            }

            done += await ProcessAsync(await ReadAsync(">").ConfigureAwait(false)).ConfigureAwait(false);
            if (done == 0)
            {
                await Task.Delay(_options.IdleDelay, stoppingToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Reads one batch: <c>0</c> re-reads this consumer's pending entries, <c>&gt;</c> new ones.</summary>
    public async Task<StreamEntry[]> ReadAsync(RedisValue position) =>
        await _db.StreamReadGroupAsync(_layout.Events, RedisLayout.AnalyticsGroup, Name, position, _options.BatchSize).ConfigureAwait(false);

    /// <summary>Takes over entries other consumers left pending too long, and counts them.</summary>
    public async Task<int> ClaimAsync()
    {
        var done = 0;
        RedisValue start = "0-0";
        while (true)
        {
            var claimed = await _db.StreamAutoClaimAsync(
                _layout.Events, RedisLayout.AnalyticsGroup, Name, (long)_options.ClaimAfter.TotalMilliseconds, start, _options.BatchSize).ConfigureAwait(false);
            if (claimed.DeletedIds.Length > 0)
            {
                // Trimmed from the stream before anyone counted them: acknowledged so they stop being pending, and counted as lost.
                await _db.StreamAcknowledgeAsync(_layout.Events, RedisLayout.AnalyticsGroup, claimed.DeletedIds).ConfigureAwait(false);
                await _db.HashIncrementAsync(_layout.AnalyticsCounts, "trimmed", claimed.DeletedIds.Length).ConfigureAwait(false);
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
            var counts = new AnalyticsBatch(_layout, _options);
            foreach (var entry in batch)
            {
                counts.Add(DeviceEventEntry.Parse(entry.Values));
            }

            RedisValue[] args = [RedisLayout.AnalyticsGroup, Name, batch.Length, .. batch.Select(static e => e.Id), .. counts.Operations()];
            try
            {
                await _db.ScriptEvaluateAsync(Scripts.Aggregate, [_layout.Events, _layout.AnalyticsCounts], args).ConfigureAwait(false);
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

    private async Task<StreamEntry[]> StillMineAsync(StreamEntry[] batch)
    {
        var pending = await _db.StreamPendingMessagesAsync(
            _layout.Events, RedisLayout.AnalyticsGroup, batch.Length + 100_000, Name, batch[0].Id, batch[^1].Id).ConfigureAwait(false);
        var mine = pending.Select(static p => p.MessageId).ToHashSet();
        return [.. batch.Where(e => mine.Contains(e.Id))];
    }

    [LoggerMessage(EventId = 3001, Level = LogLevel.Warning, Message = "Skipped {Count} malformed stream entries (consumer {Consumer}); counted in analytics:counts malformed")]
    private static partial void LogMalformed(ILogger logger, int count, string consumer);
}

using Capgo.Edge.Redis;
using StackExchange.Redis;

namespace Capgo.Edge.ControlPlane.Analytics;

/// <summary>One bundle's figures over a window; <c>FailureRate</c> is failures ÷ (installs + failures), null when neither happened.</summary>
public sealed record BundleStats(
    string Bundle,
    long ActiveDevices,
    long Checks,
    long Installs,
    long Failures,
    long Downloads,
    double? FailureRate,
    IReadOnlyDictionary<string, long> ChecksByOutcome);

/// <summary>A bundle's installs and failures in the minute that starts at <paramref name="Start"/>.</summary>
public sealed record MinuteCounts(DateTimeOffset Start, long Installs, long Failures);

/// <summary>The devices active on each bundle on the UTC day that starts at <paramref name="Day"/> (HyperLogLog estimates, exact below a few hundred).</summary>
public sealed record DayActiveDevices(DateTimeOffset Day, IReadOnlyDictionary<string, long> ByBundle);

/// <summary>
/// Reads what the event consumer counted (<see cref="AnalyticsBatch"/>): per bundle over a window, and
/// a rollout bundle's installs, failures and reporting devices since a moment (rollout guards).
/// Windows up to 6 hours read per-minute counts, longer ones per-hour counts. Each event shard holds
/// its own counts: they are added up, distinct devices included, since a device's events all go to one
/// shard (<see cref="RedisLayout.ShardOf"/>).
/// </summary>
public sealed class ReleaseStats
{
    private const long Minute = 60_000;
    private const long Hour = 3_600_000;
    private const long Day = 86_400_000;
    private static readonly TimeSpan MinuteWindowLimit = TimeSpan.FromHours(6);

    private readonly IDatabase _db;
    private readonly RedisLayout _layout;
    private readonly TimeProvider _time;

    public ReleaseStats(IConnectionMultiplexer redis, RedisLayout layout, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(redis);
        _db = redis.GetDatabase();
        _layout = layout;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>Per bundle (of <paramref name="channel"/>, or every channel), over the last <paramref name="window"/>.</summary>
    public async Task<IReadOnlyList<BundleStats>> ReadAsync(string appId, TimeSpan window, string? channel = null)
    {
        var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        var since = now - (long)window.TotalMilliseconds;
        var counts = await SumAsync(appId, since, now).ConfigureAwait(false);
        var byBundle = new Dictionary<string, Dictionary<string, long>>(StringComparer.Ordinal);
        foreach (var ((fieldChannel, bundle, metric), count) in counts)
        {
            if (channel is not null && fieldChannel != channel)
            {
                continue;
            }

            var metrics = byBundle.TryGetValue(bundle, out var m) ? m : byBundle[bundle] = new(StringComparer.Ordinal);
            metrics[metric] = metrics.GetValueOrDefault(metric) + count;
        }

        var result = new List<BundleStats>();
        foreach (var (bundle, metrics) in byBundle.OrderBy(static b => b.Key, StringComparer.Ordinal))
        {
            var active = await DistinctAsync(shard => Enumerable.Range(0, (int)(now / Day - since / Day) + 1).Select(i => shard.ActiveDevices(appId, bundle, since / Day + i))).ConfigureAwait(false);
            var installs = metrics.GetValueOrDefault(Metrics.Install);
            var failures = metrics.GetValueOrDefault(Metrics.Fail);
            var outcomes = metrics.Where(static m => m.Key.StartsWith(Metrics.CheckPrefix, StringComparison.Ordinal))
                .ToDictionary(static m => m.Key[Metrics.CheckPrefix.Length..], static m => m.Value, StringComparer.Ordinal);
            result.Add(new BundleStats(
                bundle,
                active,
                outcomes.Values.Sum(),
                installs,
                failures,
                metrics.GetValueOrDefault(Metrics.Download),
                installs + failures == 0 ? null : (double)failures / (installs + failures),
                outcomes));
        }

        return result;
    }

    /// <summary>The bundle's installs and failures, and how many devices reported one, since <paramref name="sinceMs"/> (Unix ms).</summary>
    public async Task<(long Installs, long Failures, long Devices)> RolloutHealthAsync(string appId, string bundle, long sinceMs)
    {
        var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        long installs = 0, failures = 0;
        foreach (var ((_, b, metric), count) in await SumAsync(appId, sinceMs, now).ConfigureAwait(false))
        {
            if (b == bundle)
            {
                installs += metric == Metrics.Install ? count : 0;
                failures += metric == Metrics.Fail ? count : 0;
            }
        }

        var devices = await DistinctAsync(shard => Enumerable.Range(0, (int)(now / Hour - sinceMs / Hour) + 1).Select(i => shard.Reporters(appId, bundle, sinceMs / Hour + i))).ConfigureAwait(false);
        return (installs, failures, devices);
    }

    /// <summary>
    /// The bundle's installs and failures in each of the last <paramref name="minutes"/> minutes, oldest
    /// first, the current minute last; every channel counts, as for a rollout guard (devices report the
    /// bundle they run, not always the channel).
    /// </summary>
    public async Task<IReadOnlyList<MinuteCounts>> PerMinuteAsync(string appId, string bundle, int minutes)
    {
        var last = _time.GetUtcNow().ToUnixTimeMilliseconds() / Minute;
        var reads = Enumerable.Range(0, minutes)
            .Select(i => last - minutes + 1 + i)
            .Select(m => (Minute: m, Reads: _layout.EventShards.Select(shard => _db.HashGetAllAsync(shard.StatsMinute(appId, m))).ToList()))
            .ToList();
        var result = new List<MinuteCounts>(minutes);
        foreach (var (minute, shardReads) in reads)
        {
            long installs = 0, failures = 0;
            foreach (var entry in (await Task.WhenAll(shardReads).ConfigureAwait(false)).SelectMany(static e => e))
            {
                var parts = entry.Name.ToString().Split(Metrics.Separator);
                if (parts.Length == 3 && parts[1] == bundle)
                {
                    installs += parts[2] == Metrics.Install ? (long)entry.Value : 0;
                    failures += parts[2] == Metrics.Fail ? (long)entry.Value : 0;
                }
            }

            result.Add(new MinuteCounts(DateTimeOffset.FromUnixTimeMilliseconds(minute * Minute), installs, failures));
        }

        return result;
    }

    /// <summary>
    /// Each bundle's active devices (devices that sent any event while running it) on each of the last
    /// <paramref name="days"/> UTC days, oldest first, today last: one PFCOUNT per bundle and day, pipelined.
    /// </summary>
    public async Task<IReadOnlyList<DayActiveDevices>> ActiveDevicesPerDayAsync(string appId, IReadOnlyCollection<string> bundles, int days)
    {
        ArgumentNullException.ThrowIfNull(bundles);
        var today = _time.GetUtcNow().ToUnixTimeMilliseconds() / Day;
        var reads = Enumerable.Range(0, days)
            .Select(i => today - days + 1 + i)
            .Select(day => (Day: day, Counts: bundles.Select(b => (Bundle: b, Read: DistinctAsync(shard => [shard.ActiveDevices(appId, b, day)]))).ToList()))
            .ToList();
        var result = new List<DayActiveDevices>(days);
        foreach (var (day, counts) in reads)
        {
            var byBundle = new Dictionary<string, long>(StringComparer.Ordinal);
            foreach (var (bundle, read) in counts)
            {
                byBundle[bundle] = await read.ConfigureAwait(false);
            }

            result.Add(new DayActiveDevices(DateTimeOffset.FromUnixTimeMilliseconds(day * Day), byBundle));
        }

        return result;
    }

    /// <summary>
    /// The devices in the union of each shard's HyperLogLogs (<paramref name="keys"/>), added up over the
    /// shards: a shard's keys share a slot, so one PFCOUNT each, pipelined.
    /// </summary>
    private async Task<long> DistinctAsync(Func<EventShard, IEnumerable<RedisKey>> keys)
    {
        var counts = await Task.WhenAll(_layout.EventShards.Select(shard => _db.HyperLogLogLengthAsync([.. keys(shard)]))).ConfigureAwait(false);
        return counts.Sum();
    }

    /// <summary>Every count between the two moments, by (channel, bundle, metric).</summary>
    private async Task<Dictionary<(string Channel, string Bundle, string Metric), long>> SumAsync(string appId, long since, long now)
    {
        var perMinute = TimeSpan.FromMilliseconds(now - since) <= MinuteWindowLimit;
        var unit = perMinute ? Minute : Hour;
        var reads = new List<Task<HashEntry[]>>();
        foreach (var shard in _layout.EventShards)
        {
            for (var bucket = since / unit; bucket <= now / unit; bucket++)
            {
                reads.Add(_db.HashGetAllAsync(perMinute ? shard.StatsMinute(appId, bucket) : shard.StatsHour(appId, bucket)));
            }
        }

        var sums = new Dictionary<(string, string, string), long>();
        foreach (var read in reads)
        {
            foreach (var entry in await read.ConfigureAwait(false))
            {
                var parts = entry.Name.ToString().Split(Metrics.Separator);
                if (parts.Length == 3)
                {
                    var k = (parts[0], parts[1], parts[2]);
                    sums[k] = sums.GetValueOrDefault(k) + (long)entry.Value;
                }
            }
        }

        return sums;
    }
}

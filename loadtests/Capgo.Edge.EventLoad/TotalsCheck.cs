using System.Globalization;
using Capgo.Edge.Redis;
using StackExchange.Redis;

namespace Capgo.Edge.EventLoad;

/// <summary>One figure the consumer wrote, against what the written entries add up to.</summary>
public sealed record TotalCheck(string Name, string Expected, string Actual, bool Ok);

/// <summary>
/// Reads back what the consumer wrote (docs/redis-layout.md) and compares it with <see cref="Expected"/>:
/// exact for counts, the registry and the custom-id index; within HyperLogLog's error for device counts.
/// A benchmark whose totals do not match measured nothing. With several event shards every figure is
/// the sum over the shards (a device's keys are in its own shard), read from every master of a cluster.
/// </summary>
internal sealed class TotalsCheck(IConnectionMultiplexer redis, RedisLayout layout, EventMix mix)
{
    /// <summary>
    /// Four standard errors of Redis's HyperLogLog (0.81 %), at least 3 devices: a set's estimate is fixed
    /// by its members, and over ~30 sets a tighter bound fails some runs for a slice of an hour that happens
    /// to hold a few hundred devices.
    /// </summary>
    private const double HllTolerance = 4 * 0.0081;

    private readonly IDatabase _db = redis.GetDatabase();
    private readonly IServer[] _masters = [.. redis.GetServers().Where(static s => s.IsConnected && !s.IsReplica)];

    public async Task<IReadOnlyList<TotalCheck>> RunAsync()
    {
        var expected = mix.Expected;
        var checks = new List<TotalCheck>();
        var groups = await Task.WhenAll(layout.EventShards.Select(async s => (await _db.StreamGroupInfoAsync(s.Events).ConfigureAwait(false)).Single(static g => g.Name == RedisLayout.AnalyticsGroup))).ConfigureAwait(false);
        checks.Add(Exact("group: entries read", expected.Events, groups.Sum(static g => g.EntriesRead ?? -1)));
        checks.Add(Exact("group: pending", 0, groups.Sum(static g => g.PendingMessageCount)));
        checks.Add(Exact("group: lag", 0, groups.Sum(static g => g.Lag ?? -1)));

        var counts = await Task.WhenAll(layout.EventShards.Select(s => _db.HashGetAllAsync(s.AnalyticsCounts))).ConfigureAwait(false);
        checks.Add(Exact("analytics:counts processed", expected.Events, counts.Sum(static c => Field(c, "processed"))));
        checks.Add(Exact("analytics:counts malformed", 0, counts.Sum(static c => Field(c, "malformed"))));

        var (minutes, hours) = await StatsAsync().ConfigureAwait(false);
        foreach (var metric in expected.Metrics.Keys.Union(minutes.Keys).Union(hours.Keys).Order(StringComparer.Ordinal))
        {
            checks.Add(Exact($"per-minute {metric}", expected.Metrics.GetValueOrDefault(metric), minutes.GetValueOrDefault(metric)));
            checks.Add(Exact($"per-hour {metric}", expected.Metrics.GetValueOrDefault(metric), hours.GetValueOrDefault(metric)));
        }

        checks.AddRange(await RegistryAsync().ConfigureAwait(false));
        checks.Add(await CustomIdsAsync().ConfigureAwait(false));
        checks.Add(await HyperLogLogsAsync("active devices per bundle and day", expected.Active.Select(a => (layout.EventShards.Select(s => s.ActiveDevices(a.Key.App, a.Key.Bundle, a.Key.Day)), a.Value.Count))).ConfigureAwait(false));
        checks.Add(await HyperLogLogsAsync("rollout reporters per bundle and hour", expected.Reporters.Select(r => (layout.EventShards.Select(s => s.Reporters(r.Key.App, r.Key.Bundle, r.Key.Hour)), r.Value.Count))).ConfigureAwait(false));
        return checks;
    }

    /// <summary>Every per-minute and per-hour count, summed by metric.</summary>
    private async Task<(Dictionary<string, long> Minutes, Dictionary<string, long> Hours)> StatsAsync()
    {
        var (minutes, hours) = (new Dictionary<string, long>(StringComparer.Ordinal), new Dictionary<string, long>(StringComparer.Ordinal));
        await foreach (var key in KeysAsync("stats:*").ConfigureAwait(false))
        {
            var sums = key.ToString().Contains(":m:", StringComparison.Ordinal) ? minutes : hours;
            foreach (var entry in await _db.HashGetAllAsync(key).ConfigureAwait(false))
            {
                var metric = entry.Name.ToString().Split('\u001f')[^1];
                sums[metric] = sums.GetValueOrDefault(metric) + (long)entry.Value;
            }
        }

        return (minutes, hours);
    }

    /// <summary>One registry entry per device that sent anything, showing its last event's time, event and bundle.</summary>
    private async Task<IEnumerable<TotalCheck>> RegistryAsync()
    {
        var last = mix.Expected.Last;
        var reads = new List<(int Device, Task<RedisValue[]> Fields)>();
        for (var i = 0; i < last.Length; i++)
        {
            if (last[i].Time > 0)
            {
                var (app, id) = mix.DeviceAt(i);
                reads.Add((i, _db.HashGetAsync(layout.Device(app, id), ["last_seen", "last_event", "version_name"])));
            }
        }

        var wrong = 0;
        string? firstWrong = null;
        foreach (var (device, read) in reads)
        {
            var fields = await read.ConfigureAwait(false);
            var (time, lastEvent, bundle) = last[device];
            if ((string?)fields[0] != time.ToString(CultureInfo.InvariantCulture) || (string?)fields[1] != lastEvent || (string?)fields[2] != bundle)
            {
                wrong++;
                firstWrong ??= $"{mix.DeviceAt(device).Id}: {fields[0]} {fields[1]} {fields[2]}, expected {time} {lastEvent} {bundle}";
            }
        }

        long keys = 0;
        await foreach (var _ in KeysAsync("device:*").ConfigureAwait(false))
        {
            keys++;
        }

        return
        [
            Exact("registry: device entries", reads.Count, keys),
            new("registry: entries showing the device's last event", reads.Count.ToString(CultureInfo.InvariantCulture),
                firstWrong is null ? reads.Count.ToString(CultureInfo.InvariantCulture) : $"{reads.Count - wrong} (first wrong: {firstWrong})", wrong == 0),
        ];
    }

    /// <summary>The custom-id index holds exactly the (custom id, device) pairs written.</summary>
    private async Task<TotalCheck> CustomIdsAsync()
    {
        var expected = mix.Expected.CustomIds;
        var members = expected.Select(c => _db.SetContainsAsync(layout.ShardOf(mix.DeviceAt(c.Device).Id).CustomId(c.App, c.CustomId), mix.DeviceAt(c.Device).Id)).ToList();
        var found = (await Task.WhenAll(members).ConfigureAwait(false)).Count(static m => m);
        long total = 0;
        await foreach (var key in KeysAsync("custom:*").ConfigureAwait(false))
        {
            total += await _db.SetLengthAsync(key).ConfigureAwait(false);
        }

        return new("custom-id index: members (found of expected, total)", $"{expected.Count} of {expected.Count}, {expected.Count}",
            $"{found} of {expected.Count}, {total}", found == expected.Count && total == expected.Count);
    }

    /// <summary>Every key of every shard whose name, after the shard's prefix, matches <paramref name="pattern"/>, on every master.</summary>
    private async IAsyncEnumerable<RedisKey> KeysAsync(string pattern)
    {
        foreach (var shard in layout.EventShards)
        {
            foreach (var master in _masters)
            {
                await foreach (var key in master.KeysAsync(pattern: shard.Prefix + pattern, pageSize: 1000).ConfigureAwait(false))
                {
                    yield return key;
                }
            }
        }
    }

    /// <summary>Each set's devices: the sum of its shards' estimates (a device's events all go to one shard).</summary>
    private async Task<TotalCheck> HyperLogLogsAsync(string name, IEnumerable<(IEnumerable<RedisKey> Keys, int Exact)> sets)
    {
        var reads = sets.Select(s => (s.Exact, Count: SumAsync(s.Keys.Select(k => _db.HyperLogLogLengthAsync(k))))).ToList();
        double worst = 0;
        long exact = 0, estimated = 0;
        var ok = true;
        foreach (var (expected, count) in reads)
        {
            var actual = await count.ConfigureAwait(false);
            exact += expected;
            estimated += actual;
            worst = Math.Max(worst, Math.Abs(actual - expected) / (double)expected);
            ok &= Math.Abs(actual - expected) <= Math.Max(3, HllTolerance * expected);
        }

        return new($"{name} ({reads.Count} sets, sum; worst set error ≤ {HllTolerance:P1})", exact.ToString(CultureInfo.InvariantCulture),
            $"{estimated} (worst set {worst:P2})", ok);
    }

    private static async Task<long> SumAsync(IEnumerable<Task<long>> counts) => (await Task.WhenAll(counts).ConfigureAwait(false)).Sum();

    private static long Field(HashEntry[] entries, string name) =>
        entries.Where(e => e.Name == name).Select(static e => (long)e.Value).FirstOrDefault();

    private static TotalCheck Exact(string name, long expected, long actual) =>
        new(name, expected.ToString(CultureInfo.InvariantCulture), actual.ToString(CultureInfo.InvariantCulture), expected == actual);
}

namespace Capgo.Edge.Core.Tests;

public sealed class SnapshotCacheTests
{
    [Fact]
    public void A_value_is_made_once_per_key_and_keys_compare_by_reference()
    {
        var cache = new SnapshotCache();
        var made = 0;
        var key = new string('k', 3);
        var equalKey = new string('k', 3);

        var first = cache.GetOrAdd(key, 1, (k, n) => { made++; return new object(); });
        var again = cache.GetOrAdd(key, 2, (k, n) => { made++; return new object(); });
        var other = cache.GetOrAdd(equalKey, 3, (k, n) => { made++; return new object(); });

        Assert.Same(first, again);
        Assert.NotSame(first, other);
        Assert.Equal(2, made);
        Assert.Equal(2, cache.Count);
    }

    [Fact]
    public void Past_the_bound_values_are_made_but_not_kept()
    {
        var cache = new SnapshotCache();
        var keys = Enumerable.Range(0, SnapshotCache.MaxEntries + 10).Select(_ => new object()).ToArray();

        foreach (var key in keys)
        {
            cache.GetOrAdd(key, 0, static (_, _) => new object());
        }

        Assert.Equal(SnapshotCache.MaxEntries, cache.Count);
        var last = keys[^1];
        Assert.NotSame(cache.GetOrAdd(last, 0, static (_, _) => new object()), cache.GetOrAdd(last, 0, static (_, _) => new object()));
    }

    [Fact]
    public async Task Concurrent_callers_of_one_key_all_get_the_kept_value()
    {
        var cache = new SnapshotCache();
        var keys = Enumerable.Range(0, 64).Select(_ => new object()).ToArray();

        var seen = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() =>
            keys.Select(k => cache.GetOrAdd(k, 0, static (_, _) => new object())).ToArray())));

        for (var i = 0; i < keys.Length; i++)
        {
            Assert.All(seen, values => Assert.Same(seen[0][i], values[i]));
        }
    }
}

namespace Capgo.Edge.Core;

/// <summary>
/// Values a transport derives once from one <see cref="AppSnapshot"/> and reuses for every request that
/// snapshot answers (the gRPC replies that carry its generation), keyed by the shared object they are
/// derived from. Reads are a scan of a small array without a lock; the one writer per new key takes a
/// lock and publishes a copy. The cache lives and dies with its snapshot.
/// </summary>
public sealed class SnapshotCache
{
    /// <summary>Past this many entries values are made but not kept: a snapshot's distinct shared replies are far fewer.</summary>
    public const int MaxEntries = 256;

    private readonly Lock _gate = new();
    private Entry[] _entries = [];

    public int Count => Volatile.Read(ref _entries).Length;

    /// <summary>The value derived from <paramref name="key"/> (compared by reference), made by <paramref name="create"/> the first time.</summary>
    public TValue GetOrAdd<TKey, TValue, TState>(TKey key, TState state, Func<TKey, TState, TValue> create)
        where TKey : class
        where TValue : class
    {
        foreach (var entry in Volatile.Read(ref _entries))
        {
            if (ReferenceEquals(entry.Key, key))
            {
                return (TValue)entry.Value;
            }
        }

        lock (_gate)
        {
            var entries = _entries;
            foreach (var entry in entries)
            {
                if (ReferenceEquals(entry.Key, key))
                {
                    return (TValue)entry.Value;
                }
            }

            var value = create(key, state);
            if (entries.Length < MaxEntries)
            {
                Volatile.Write(ref _entries, [.. entries, new Entry(key, value)]);
            }

            return value;
        }
    }

    private readonly record struct Entry(object Key, object Value);
}

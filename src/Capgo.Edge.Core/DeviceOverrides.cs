using System.Collections.Concurrent;

namespace Capgo.Edge.Core;

/// <summary>
/// Device id → pinned channel name for one app. An app may pin millions of devices, and the control
/// plane changes them one at a time, so this map is shared by the app's successive snapshots and
/// updated in place; reads never lock. Keys are the 16-byte UUID, not the 36-character text.
/// </summary>
/// <remarks>
/// <para>
/// Three layers, newest first: a delta of recent changes, the delta being merged (while a merge
/// runs), and a frozen sorted base (<see cref="OverrideBase"/>, 17 bytes a device). A lookup tries
/// each in turn, so it is O(1) in the deltas and O(log n) in the base. A change goes to the newest
/// delta — a removal of a device the layers below hold as a tombstone — in O(log n). When the delta
/// outgrows a thirty-second of the base, it is frozen and merged into a new base on the thread pool,
/// off the request path; the new base replaces the base and the frozen delta in one reference swap.
/// </para>
/// <para>
/// Concurrency: any number of lock-free readers; writers (the sync loop, and a <c>/channel_self</c>
/// request that applies its own write) take one lock, as each change reads the layers to keep
/// <see cref="Count"/> exact. The layers are an immutable triple published by a volatile write, and a
/// merge only ever publishes a base equal to the base and frozen delta it replaces, so a reader
/// holding any triple sees a complete map: never a half-merged base, nor a change without the channel
/// name it points at.
/// </para>
/// </remarks>
public sealed class DeviceOverrides
{
    /// <summary>The smallest delta merged: below it, a merge would copy the base for a handful of changes.</summary>
    internal const int MinimumMerge = 1024;

    private readonly Lock _write = new();
    private readonly ChannelNames _names;
    private readonly int _minimumMerge;
    private volatile Layers _layers;
    private int _count;
    private Task _merging = Task.CompletedTask;

    public DeviceOverrides()
        : this(OverrideBase.Empty, new ChannelNames(), MinimumMerge)
    {
    }

    internal DeviceOverrides(OverrideBase sorted, ChannelNames names, int minimumMerge)
    {
        _names = names;
        _minimumMerge = minimumMerge;
        _layers = new Layers(sorted, null, NewDelta());
        _count = sorted.Count;
    }

    /// <summary>The generation of the last override change applied (the control plane's counter).</summary>
    public long Generation { get; set; }

    public int Count => Volatile.Read(ref _count);

    /// <summary>The merge running or last run; for tests that wait for one.</summary>
    internal Task Merging
    {
        get
        {
            lock (_write)
            {
                return _merging;
            }
        }
    }

    /// <summary>Merges completed; for tests.</summary>
    internal int Merges { get; private set; }

    /// <summary>Devices in the sorted base (the rest are in deltas); for tests.</summary>
    internal int MergedCount => _layers.Sorted.Count;

    /// <summary>Looks a device up; apps with no overrides skip the parse and the lookup.</summary>
    public bool TryGet(string deviceId, out string channelName)
    {
        if (Volatile.Read(ref _count) == 0 || !DeviceKey.TryParse(deviceId, out var key)
            || !_layers.TryFind(key, out var index) || index == ChannelNames.Removed)
        {
            channelName = "";
            return false;
        }

        channelName = _names[index];
        return true;
    }

    /// <summary>Pins a device; returns false when the id is not a UUID.</summary>
    public bool Set(string deviceId, string channelName)
    {
        ArgumentNullException.ThrowIfNull(channelName);
        if (!DeviceKey.TryParse(deviceId, out var key))
        {
            return false;
        }

        lock (_write)
        {
            // The name first: a reader that finds the index must find the name.
            var index = _names.IndexOf(channelName);
            var layers = _layers;
            var held = layers.TryFind(key, out var current) && current != ChannelNames.Removed;
            if (held && current == index)
            {
                return true;
            }

            layers.Recent[key] = index;
            if (!held)
            {
                Volatile.Write(ref _count, _count + 1);
            }

            MergeIfDue(layers);
        }

        return true;
    }

    public bool Remove(string deviceId)
    {
        if (!DeviceKey.TryParse(deviceId, out var key))
        {
            return false;
        }

        lock (_write)
        {
            var layers = _layers;
            if (!layers.TryFind(key, out var current) || current == ChannelNames.Removed)
            {
                return false;
            }

            if (layers.TryFindBelowRecent(key, out var below) && below != ChannelNames.Removed)
            {
                layers.Recent[key] = ChannelNames.Removed;
            }
            else
            {
                layers.Recent.TryRemove(key, out _);
            }

            Volatile.Write(ref _count, _count - 1);
            MergeIfDue(layers);
        }

        return true;
    }

    /// <summary>Every pin, lower-case UUID text → channel name; a consistent copy taken when enumeration starts.</summary>
    public IEnumerable<KeyValuePair<string, string>> Entries =>
        Pins.Select(static e => new KeyValuePair<string, string>(e.Key.ToString("D"), e.Value));

    /// <summary>Every pin as UUID → channel name; a consistent copy taken when enumeration starts.</summary>
    public IEnumerable<KeyValuePair<Guid, string>> Pins
    {
        get
        {
            Layers layers;
            KeyValuePair<DeviceKey, ushort>[] recent;
            lock (_write)
            {
                layers = _layers;
                recent = layers.Recent.ToArray();
            }

            // The frozen delta no longer changes; the recent one is copied, under the writers' lock.
            var changes = new Dictionary<DeviceKey, ushort>(layers.Merging ?? []);
            foreach (var (key, index) in recent)
            {
                changes[key] = index;
            }

            return Enumerate(layers.Sorted, changes, _names);
        }
    }

    private static IEnumerable<KeyValuePair<Guid, string>> Enumerate(OverrideBase sorted, Dictionary<DeviceKey, ushort> changes, ChannelNames names)
    {
        for (var i = 0; i < sorted.Count; i++)
        {
            if (!changes.ContainsKey(sorted.KeyAt(i)))
            {
                yield return new(sorted.KeyAt(i).ToGuid(), names[sorted.ChannelAt(i)]);
            }
        }

        foreach (var (key, index) in changes)
        {
            if (index != ChannelNames.Removed)
            {
                yield return new(key.ToGuid(), names[index]);
            }
        }
    }

    private static ConcurrentDictionary<DeviceKey, ushort> NewDelta() => new(concurrencyLevel: 1, capacity: 31);

    /// <summary>Freezes the recent delta and merges it on the thread pool once it is large enough; under the writers' lock.</summary>
    private void MergeIfDue(Layers layers)
    {
        if (layers.Merging is not null || layers.Recent.Count < Math.Max(_minimumMerge, layers.Sorted.Count / 32))
        {
            return;
        }

        var merging = new Layers(layers.Sorted, layers.Recent, NewDelta());
        _layers = merging;
        _merging = Task.Run(() => Merge(merging));
    }

    private void Merge(Layers from)
    {
        // Nothing writes to the frozen delta any more: it is read without the lock.
        var changes = from.Merging!.ToArray();
        var keys = new DeviceKey[changes.Length];
        var indexes = new ushort[changes.Length];
        for (var i = 0; i < changes.Length; i++)
        {
            (keys[i], indexes[i]) = (changes[i].Key, changes[i].Value);
        }

        Array.Sort(keys, indexes);
        var merged = from.Sorted.Apply(keys, indexes, ChannelNames.Removed);
        lock (_write)
        {
            // Only a merge replaces the base and the frozen delta: they are still the ones merged.
            var next = new Layers(merged, null, _layers.Recent);
            _layers = next;
            Merges++;
            MergeIfDue(next);
        }
    }

    /// <summary>One consistent view: newest changes, changes being merged, the sorted base.</summary>
    private sealed record Layers(OverrideBase Sorted, ConcurrentDictionary<DeviceKey, ushort>? Merging, ConcurrentDictionary<DeviceKey, ushort> Recent)
    {
        public bool TryFind(in DeviceKey key, out ushort index) =>
            Recent.TryGetValue(key, out index) || TryFindBelowRecent(key, out index);

        public bool TryFindBelowRecent(in DeviceKey key, out ushort index) =>
            (Merging is not null && Merging.TryGetValue(key, out index)) || Sorted.TryFind(key, out index);
    }
}

using System.Collections.Concurrent;

namespace Capgo.Edge.Core;

/// <summary>
/// Device id → pinned channel name for one app. An app may pin millions of devices, and the control
/// plane changes them one at a time, so this map is shared by the app's successive snapshots and
/// updated in place; reads never lock. Keys are the 16-byte UUID, not the 36-character text.
/// </summary>
public sealed class DeviceOverrides
{
    private readonly ConcurrentDictionary<Guid, string> _map;
    private int _count;

    public DeviceOverrides()
        : this(0)
    {
    }

    public DeviceOverrides(int capacity) =>
        _map = new ConcurrentDictionary<Guid, string>(Environment.ProcessorCount, Math.Max(capacity, 31));

    /// <summary>The generation of the last override change applied (the control plane's counter).</summary>
    public long Generation { get; set; }

    public int Count => Volatile.Read(ref _count);

    /// <summary>Looks a device up; apps with no overrides skip the parse and the lookup.</summary>
    public bool TryGet(string deviceId, out string channelName)
    {
        if (Volatile.Read(ref _count) == 0 || !Guid.TryParse(deviceId, out var key))
        {
            channelName = "";
            return false;
        }

        return _map.TryGetValue(key, out channelName!);
    }

    /// <summary>Pins a device; returns false when the id is not a UUID.</summary>
    public bool Set(string deviceId, string channelName)
    {
        if (!Guid.TryParse(deviceId, out var key))
        {
            return false;
        }

        var added = true;
        _map.AddOrUpdate(key, channelName, (_, _) =>
        {
            added = false;
            return channelName;
        });
        if (added)
        {
            Interlocked.Increment(ref _count);
        }

        return true;
    }

    public bool Remove(string deviceId)
    {
        if (!Guid.TryParse(deviceId, out var key) || !_map.TryRemove(key, out _))
        {
            return false;
        }

        Interlocked.Decrement(ref _count);
        return true;
    }

    public IEnumerable<KeyValuePair<string, string>> Entries =>
        _map.Select(static e => new KeyValuePair<string, string>(e.Key.ToString("D"), e.Value));
}

namespace Capgo.Edge.Core;

/// <summary>
/// Builds a <see cref="DeviceOverrides"/> in bulk — a cold load, a document, a snapshot on disk:
/// pins are collected into flat arrays and sorted once, rather than inserted one at a time. Used by
/// one thread, once.
/// </summary>
public sealed class DeviceOverridesBuilder
{
    private readonly ChannelNames _names = new();
    private DeviceKey[] _keys;
    private ushort[] _channels;
    private int _count;
    private bool _built;

    /// <param name="capacity">The pins expected (a hash's length): the arrays are sized once.</param>
    public DeviceOverridesBuilder(int capacity = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(capacity);
        _keys = new DeviceKey[capacity];
        _channels = new ushort[capacity];
    }

    /// <summary>Pins added so far, a device added twice counted twice.</summary>
    public int Count => _count;

    /// <summary>Adds a pin; false when the id is not a UUID.</summary>
    public bool Add(string deviceId, string channelName)
    {
        ArgumentNullException.ThrowIfNull(channelName);
        if (!DeviceKey.TryParse(deviceId, out var key))
        {
            return false;
        }

        Append(key, _names.IndexOf(channelName));
        return true;
    }

    public void Add(Guid deviceId, string channelName)
    {
        ArgumentNullException.ThrowIfNull(channelName);
        Append(new DeviceKey(deviceId), _names.IndexOf(channelName));
    }

    /// <summary>Adds a pin read as UTF-8 (a Redis reply) without allocating; false when the id is not a UUID.</summary>
    public bool Add(ReadOnlySpan<byte> utf8DeviceId, ReadOnlySpan<byte> utf8ChannelName)
    {
        if (!DeviceKey.TryParse(utf8DeviceId, out var key))
        {
            return false;
        }

        Append(key, _names.IndexOf(utf8ChannelName));
        return true;
    }

    /// <summary>The map; a device added more than once keeps one of its channels, which one unspecified.</summary>
    public DeviceOverrides Build() => Build(DeviceOverrides.MinimumMerge);

    /// <summary>The map, and false with one such device when a device was added more than once.</summary>
    public bool TryBuild(out DeviceOverrides overrides, out Guid duplicate) =>
        TryBuild(out overrides, out duplicate, DeviceOverrides.MinimumMerge);

    /// <summary>The map, merging its changes once a delta holds <paramref name="minimumMerge"/> (tests merge small ones).</summary>
    internal DeviceOverrides Build(int minimumMerge)
    {
        TryBuild(out var overrides, out _, minimumMerge);
        return overrides;
    }

    private bool TryBuild(out DeviceOverrides overrides, out Guid duplicate, int minimumMerge)
    {
        ObjectDisposedException.ThrowIf(_built, this);
        _built = true;
        Array.Sort(_keys, _channels, 0, _count);

        // Devices added twice are side by side once sorted: keep the first of each run.
        duplicate = Guid.Empty;
        var distinct = Math.Min(_count, 1);
        for (var i = 1; i < _count; i++)
        {
            if (_keys[i] == _keys[distinct - 1])
            {
                duplicate = _keys[i].ToGuid();
                continue;
            }

            (_keys[distinct], _channels[distinct]) = (_keys[i], _channels[i]);
            distinct++;
        }

        if (distinct < _keys.Length)
        {
            Array.Resize(ref _keys, distinct);
            Array.Resize(ref _channels, distinct);
        }

        overrides = new DeviceOverrides(new OverrideBase(_keys, _channels), _names, minimumMerge);
        _keys = [];
        _channels = [];
        return distinct == _count;
    }

    private void Append(in DeviceKey key, ushort channel)
    {
        ObjectDisposedException.ThrowIf(_built, this);
        if (_count == _keys.Length)
        {
            var capacity = Math.Max(16, _count * 2);
            Array.Resize(ref _keys, capacity);
            Array.Resize(ref _channels, capacity);
        }

        _keys[_count] = key;
        _channels[_count] = channel;
        _count++;
    }
}

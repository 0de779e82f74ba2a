namespace Capgo.Edge.Core;

/// <summary>
/// The bulk of an app's overrides, frozen: device keys sorted, and beside each the index of its
/// channel's name (<see cref="ChannelNames"/>), a byte while the pins name at most 256 channels (as
/// good as always), else two. 17 bytes a device; a lookup is a binary search. Never changed once
/// built: changes go to a delta, and a merge builds the next base.
/// </summary>
internal sealed class OverrideBase
{
    public static readonly OverrideBase Empty = new([], []);

    private readonly DeviceKey[] _keys;
    private readonly byte[]? _narrow;
    private readonly ushort[]? _wide;

    /// <param name="keys">Sorted, each once; owned by the base from here on.</param>
    /// <param name="channels">The channel index of each key; kept only when an index needs two bytes.</param>
    public OverrideBase(DeviceKey[] keys, ushort[] channels)
    {
        _keys = keys;
        if (channels.AsSpan().IndexOfAnyExceptInRange((ushort)0, byte.MaxValue) >= 0)
        {
            _wide = channels;
            return;
        }

        _narrow = new byte[channels.Length];
        for (var i = 0; i < channels.Length; i++)
        {
            _narrow[i] = (byte)channels[i];
        }
    }

    public int Count => _keys.Length;

    public DeviceKey KeyAt(int i) => _keys[i];

    public ushort ChannelAt(int i) => _narrow is { } narrow ? narrow[i] : _wide![i];

    public bool TryFind(in DeviceKey key, out ushort channel)
    {
        var keys = _keys;
        int low = 0, high = keys.Length - 1;
        while (low <= high)
        {
            var middle = low + ((high - low) >> 1);
            var order = keys[middle].CompareTo(key);
            if (order == 0)
            {
                channel = ChannelAt(middle);
                return true;
            }

            if (order < 0)
            {
                low = middle + 1;
            }
            else
            {
                high = middle - 1;
            }
        }

        channel = 0;
        return false;
    }

    /// <summary>
    /// The base with the changes applied: one pass over both, as each is sorted. A change to
    /// <paramref name="removed"/> drops the device.
    /// </summary>
    /// <param name="keys">The changed devices, sorted, each once.</param>
    /// <param name="channels">Each device's new channel index, or <paramref name="removed"/>.</param>
    /// <param name="removed">The index that marks a removal.</param>
    public OverrideBase Apply(ReadOnlySpan<DeviceKey> keys, ReadOnlySpan<ushort> channels, ushort removed)
    {
        // Sized exactly first (a lookup per change), so a base of millions is never copied twice.
        var size = _keys.Length;
        for (var c = 0; c < keys.Length; c++)
        {
            var held = TryFind(keys[c], out _);
            size += channels[c] == removed ? (held ? -1 : 0) : (held ? 0 : 1);
        }

        var mergedKeys = new DeviceKey[size];
        var mergedChannels = new ushort[mergedKeys.Length];
        int i = 0, j = 0, n = 0;
        while (i < _keys.Length || j < keys.Length)
        {
            var order = i == _keys.Length ? 1 : j == keys.Length ? -1 : _keys[i].CompareTo(keys[j]);
            if (order < 0)
            {
                (mergedKeys[n], mergedChannels[n]) = (_keys[i], ChannelAt(i));
                n++;
                i++;
                continue;
            }

            if (channels[j] != removed)
            {
                (mergedKeys[n], mergedChannels[n]) = (keys[j], channels[j]);
                n++;
            }

            i += order == 0 ? 1 : 0;
            j++;
        }

        return new OverrideBase(mergedKeys, mergedChannels);
    }
}

using System.Runtime.InteropServices;

namespace Capgo.Edge.Core;

/// <summary>
/// A device id as two 64-bit words, ordered word by word: sorting and binary search compare two
/// integers instead of <see cref="Guid"/>'s field-by-field order. Any consistent order serves, as no
/// one sees it.
/// </summary>
internal readonly struct DeviceKey : IEquatable<DeviceKey>, IComparable<DeviceKey>
{
    private readonly ulong _high;
    private readonly ulong _low;

    public DeviceKey(Guid id)
    {
        var bytes = MemoryMarshal.AsBytes(new ReadOnlySpan<Guid>(in id));
        _high = MemoryMarshal.Read<ulong>(bytes);
        _low = MemoryMarshal.Read<ulong>(bytes[8..]);
    }

    /// <summary>Any text <see cref="Guid.TryParse(string?, out Guid)"/> accepts, in any case.</summary>
    public static bool TryParse(string? text, out DeviceKey key)
    {
        if (Guid.TryParse(text, out var id))
        {
            key = new DeviceKey(id);
            return true;
        }

        key = default;
        return false;
    }

    public static bool TryParse(ReadOnlySpan<byte> utf8, out DeviceKey key)
    {
        if (Guid.TryParse(utf8, out var id))
        {
            key = new DeviceKey(id);
            return true;
        }

        key = default;
        return false;
    }

    public Guid ToGuid()
    {
        Span<ulong> words = [_high, _low];
        return MemoryMarshal.Read<Guid>(MemoryMarshal.AsBytes(words));
    }

    public int CompareTo(DeviceKey other) =>
        _high != other._high ? _high.CompareTo(other._high) : _low.CompareTo(other._low);

    public bool Equals(DeviceKey other) => _high == other._high && _low == other._low;

    public override bool Equals(object? obj) => obj is DeviceKey other && Equals(other);

    public override int GetHashCode()
    {
        var mixed = _high ^ _low;
        return (int)mixed ^ (int)(mixed >> 32);
    }

    public static bool operator ==(DeviceKey left, DeviceKey right) => left.Equals(right);

    public static bool operator !=(DeviceKey left, DeviceKey right) => !left.Equals(right);

    public static bool operator <(DeviceKey left, DeviceKey right) => left.CompareTo(right) < 0;

    public static bool operator <=(DeviceKey left, DeviceKey right) => left.CompareTo(right) <= 0;

    public static bool operator >(DeviceKey left, DeviceKey right) => left.CompareTo(right) > 0;

    public static bool operator >=(DeviceKey left, DeviceKey right) => left.CompareTo(right) >= 0;
}

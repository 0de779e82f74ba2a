using System.IO.Hashing;
using System.Text;

namespace Capgo.Edge.Server.Updates;

/// <summary>
/// A fixed-size table of the last strings read for low-cardinality request fields (app id, platform,
/// versions, install source). Devices of one app send the same few values on every poll, so reading
/// a field returns the string already made for the same bytes instead of decoding and allocating a
/// new one. Memory is bounded: a slot holds one string, a new value replaces the slot's old one, and
/// values that do not repeat cost one decode, as without the table.
/// </summary>
/// <remarks>
/// Thread-safe without locks: a slot is a reference written and read atomically, and every hit is
/// verified byte for byte, so a race can only cost an allocation, never a wrong string.
/// </remarks>
internal sealed class Utf8StringCache
{
    /// <summary>Longer values are decoded without the table: they are unlikely to repeat and costly to compare.</summary>
    public const int MaxLength = 128;

    private readonly string?[] _slots;
    private readonly int _mask;

    /// <summary>
    /// The table both transports' request readers share: 4 096 slots (32 KiB of references) hold the
    /// app ids and versions of a few hundred busy apps with few collisions, and never more than
    /// 4 096 strings of at most <see cref="MaxLength"/> characters (~1 MiB), whatever clients send.
    /// </summary>
    public static Utf8StringCache Requests { get; } = new(4096);

    public Utf8StringCache(int capacity)
    {
        if (capacity <= 0 || (capacity & (capacity - 1)) != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(capacity), capacity, "The capacity must be a positive power of two.");
        }

        _slots = new string?[capacity];
        _mask = capacity - 1;
    }

    /// <summary>The string of these UTF-8 bytes; null when they are not well-formed UTF-8.</summary>
    public string? Get(ReadOnlySpan<byte> utf8)
    {
        if (utf8.IsEmpty)
        {
            return string.Empty;
        }

        if (utf8.Length > MaxLength)
        {
            return Decode(utf8);
        }

        ref var slot = ref _slots[(int)XxHash3.HashToUInt64(utf8) & _mask];
        var cached = Volatile.Read(ref slot);

        // Ascii.Equals is false for any non-ASCII byte: only ASCII values are ever stored and returned.
        if (cached is not null && Ascii.Equals(utf8, cached))
        {
            return cached;
        }

        if (!Ascii.IsValid(utf8))
        {
            return Decode(utf8);
        }

        var created = Encoding.ASCII.GetString(utf8);
        Volatile.Write(ref slot, created);
        return created;
    }

    /// <summary>Well-formed UTF-8 decoded, else null: the caller decides what a malformed value means.</summary>
    public static string? Decode(ReadOnlySpan<byte> utf8) =>
        System.Text.Unicode.Utf8.IsValid(utf8) ? Encoding.UTF8.GetString(utf8) : null;
}

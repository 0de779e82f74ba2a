using System.Buffers;
using System.IO.Hashing;
using System.Runtime.InteropServices;
using System.Text;
using Capgo.Edge.Core;

namespace Capgo.Edge.Server.Events;

/// <summary>
/// Devices poll at every start and resume; the control plane needs which devices run what and why they
/// did not update, not every poll. A check event is sent once per <see cref="EventOptions.CheckDedupWindow"/>
/// for each (app, device, running bundle, native version, outcome, offered version): a fixed table of
/// hashes (best effort: a collision can send an extra event or hold one back until the window ends).
/// Allocation-free; memory is fixed by <see cref="EventOptions.CheckDedupSlots"/>.
/// The table is 4-way set associative: a key may sit in any of the four slots of its bucket (one cache
/// line), and a new key replaces the bucket's oldest entry. A direct-mapped table would evict a live
/// entry whenever two devices share a slot (about 7 % of 20 000 devices in 262 144 slots), and every
/// poll of either device would then send an event again.
/// </summary>
internal sealed class CheckEventFilter
{
    private const int Ways = 4;

    /// <summary>Room for the key parts of any plausible check; longer ones take the slow key.</summary>
    private const int KeyBufferBytes = 256;

    /// <summary>Ends each key part: never ASCII, so ("ab", "c") and ("a", "bc") differ.</summary>
    private const byte PartEnd = 0xFF;

    private readonly ulong[] _keys;
    private readonly int[] _seconds;
    private readonly int _window;
    private readonly TimeProvider _time;
    private readonly long _start;

    public CheckEventFilter(EventOptions options, TimeProvider time)
    {
        _window = (int)options.CheckDedupWindow.TotalSeconds;
        _keys = new ulong[_window > 0 ? Math.Max(Ways, options.CheckDedupSlots / Ways * Ways) : Ways];
        _seconds = new int[_keys.Length];
        _time = time;
        _start = time.GetTimestamp();
    }

    /// <summary>
    /// True when this check's event is not a repeat of one sent within the window.
    /// <paramref name="timestamp"/> is when the check started, on this filter's <see cref="TimeProvider"/>.
    /// </summary>
    public bool ShouldSend(in UpdateCheck check, in UpdateDecision decision, long timestamp)
    {
        if (_window <= 0)
        {
            return true;
        }

        var key = Key(check, decision);

        // The bucket comes from the hash before its low bit is forced to 1 (0 marks an empty slot):
        // taken after, a power-of-two table would only ever use its odd buckets.
        var first = (int)(key % (ulong)(_keys.Length / Ways)) * Ways;
        key |= 1;

        var now = (int)(_time.GetElapsedTime(_start, timestamp).Ticks / TimeSpan.TicksPerSecond);
        var victim = first;
        for (var slot = first; slot < first + Ways; slot++)
        {
            var held = Volatile.Read(ref _keys[slot]);
            if (held == key)
            {
                if (now - Volatile.Read(ref _seconds[slot]) < _window)
                {
                    return false;
                }

                victim = slot;
                break;
            }

            if (held == 0)
            {
                // Slots fill in order and are never emptied, so the key is not further on.
                victim = slot;
                break;
            }

            if (Volatile.Read(ref _seconds[slot]) < Volatile.Read(ref _seconds[victim]))
            {
                victim = slot;
            }
        }

        Volatile.Write(ref _seconds[victim], now);
        Volatile.Write(ref _keys[victim], key);
        return true;
    }

    /// <summary>
    /// The key of (app, device, running bundle, native version, offered version, outcome). Checks are
    /// validated, so the parts are short ASCII almost always: they are copied as bytes (the device
    /// lower-cased on the way) into one buffer, each followed by a byte that is never ASCII, and hashed
    /// once (<c>CheckStagesBenchmarks.EventKey</c>).
    /// Anything else takes <see cref="SlowKey"/>; a given check always takes the same path.
    /// </summary>
    internal static ulong Key(in UpdateCheck check, in UpdateDecision decision)
    {
        var offered = decision.Version ?? decision.Bundle?.Name;
        Span<byte> buffer = stackalloc byte[KeyBufferBytes];
        var written = 0;
        if (Append(check.AppId, lower: false, buffer, ref written) &&
            Append(check.DeviceId, lower: true, buffer, ref written) &&
            Append(check.VersionName, lower: false, buffer, ref written) &&
            Append(check.VersionBuild, lower: false, buffer, ref written) &&
            Append(offered, lower: false, buffer, ref written) &&
            written < buffer.Length)
        {
            buffer[written++] = (byte)decision.Outcome;
            return XxHash3.HashToUInt64(buffer[..written]);
        }

        return SlowKey(check, decision, offered);
    }

    private static bool Append(string? value, bool lower, Span<byte> buffer, ref int written)
    {
        var text = value.AsSpan();
        if (text.Length >= buffer.Length - written)
        {
            return false;
        }

        var target = buffer[written..];
        var status = lower ? Ascii.ToLower(text, target, out var count) : Ascii.FromUtf16(text, target, out count);
        if (status != OperationStatus.Done)
        {
            return false;
        }

        written += count;
        buffer[written++] = PartEnd;
        return true;
    }

    private static ulong SlowKey(in UpdateCheck check, in UpdateDecision decision, string? offered)
    {
        Span<char> device = stackalloc char[RequestValidator.MaxDeviceIdLength];
        var length = check.DeviceId.AsSpan().ToLowerInvariant(device);
        var key = Hash(check.AppId);
        key = Mix(key, XxHash3.HashToUInt64(MemoryMarshal.AsBytes(device[..Math.Max(length, 0)])));
        key = Mix(key, Hash(check.VersionName));
        key = Mix(key, Hash(check.VersionBuild));
        key = Mix(key, Hash(offered));
        return Mix(key, (ulong)decision.Outcome + 1);
    }

    private static ulong Hash(string? value) =>
        value is null ? 0 : XxHash3.HashToUInt64(MemoryMarshal.AsBytes(value.AsSpan()));

    private static ulong Mix(ulong acc, ulong value) => ((acc ^ value) * 0x9E3779B97F4A7C15UL) ^ (acc >> 29);
}

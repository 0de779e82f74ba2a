using System.IO.Hashing;
using System.Runtime.InteropServices;
using Capgo.Edge.Core;

namespace Capgo.Edge.Server.Events;

/// <summary>
/// Devices poll at every start and resume; the control plane needs which devices run what and why they
/// did not update, not every poll. A check event is sent once per <see cref="EventOptions.CheckDedupWindow"/>
/// for each (app, device, running bundle, native version, outcome, offered version): a fixed table of
/// hashes (best effort: a collision can send an extra event or hold one back until the window ends).
/// Allocation-free; memory is fixed by <see cref="EventOptions.CheckDedupSlots"/>.
/// The table is 4-way set associative: a key may sit in any of the four slots of its bucket (one cache
/// line), and a new key replaces the bucket's oldest entry. Direct mapping evicted a live entry whenever
/// two devices shared a slot (7 % of 20 000 devices in 262 144 slots), and every poll of either device
/// then sent an event again.
/// </summary>
internal sealed class CheckEventFilter
{
    private const int Ways = 4;

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

    /// <summary>True when this check's event is not a repeat of one sent within the window.</summary>
    public bool ShouldSend(in UpdateCheck check, in UpdateDecision decision)
    {
        if (_window <= 0)
        {
            return true;
        }

        Span<char> device = stackalloc char[RequestValidator.MaxDeviceIdLength];
        var length = check.DeviceId.AsSpan().ToLowerInvariant(device);
        var key = Hash(check.AppId);
        key = Mix(key, XxHash3.HashToUInt64(MemoryMarshal.AsBytes(device[..Math.Max(length, 0)])));
        key = Mix(key, Hash(check.VersionName));
        key = Mix(key, Hash(check.VersionBuild));
        key = Mix(key, Hash(decision.Version ?? decision.Bundle?.Name));
        key = Mix(key, (ulong)decision.Outcome + 1);

        // The bucket comes from the hash before its low bit is forced to 1 (0 marks an empty slot):
        // taken after, a power-of-two table would only ever use its odd buckets.
        var first = (int)(key % (ulong)(_keys.Length / Ways)) * Ways;
        key |= 1;

        var now = (int)(_time.GetElapsedTime(_start).Ticks / TimeSpan.TicksPerSecond);
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

    private static ulong Hash(string? value) =>
        value is null ? 0 : XxHash3.HashToUInt64(MemoryMarshal.AsBytes(value.AsSpan()));

    private static ulong Mix(ulong acc, ulong value) => ((acc ^ value) * 0x9E3779B97F4A7C15UL) ^ (acc >> 29);
}

using System.IO.Hashing;
using System.Net;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Options;

namespace Capgo.Edge.Server.Abuse;

/// <summary>
/// Per-client-address guard against app-id enumeration, and the per-app throttle list. Memory is a
/// fixed table of <see cref="AbuseOptions.TrackedClients"/> slots chosen by address hash: a busy
/// table forgets old addresses instead of growing.
/// </summary>
internal sealed class AbuseGuard
{
    private readonly Slot[] _slots;
    private readonly int _limit;
    private readonly long _windowMs;
    private readonly long _blockMs;
    private readonly TimeProvider _time;
    private readonly Dictionary<string, int> _throttled;

    public AbuseGuard(IOptions<AbuseOptions> options, TimeProvider time)
    {
        var o = options.Value;
        _slots = new Slot[o.TrackedClients];
        _limit = o.UnknownAppLimit;
        _windowMs = (long)o.UnknownAppWindow.TotalMilliseconds;
        _blockMs = (long)o.BlockDuration.TotalMilliseconds;
        _time = time;
        _throttled = new Dictionary<string, int>(o.ThrottledApps, StringComparer.OrdinalIgnoreCase);
    }

    /// <summary>The Retry-After seconds when this app is on the throttle list.</summary>
    public bool IsThrottled(string? appId, out int retryAfterSeconds)
    {
        retryAfterSeconds = 0;
        return _throttled.Count > 0 && appId is not null && _throttled.TryGetValue(appId, out retryAfterSeconds);
    }

    /// <summary>True while this address is blocked for enumerating app ids. Allocation-free.</summary>
    public bool IsBlocked(IPAddress? address)
    {
        if (address is null)
        {
            return false;
        }

        var slot = Volatile.Read(ref _slots[Index(address)]);
        return slot is not null && slot.BlockedUntil > Now() && slot.Address.Equals(address);
    }

    /// <summary>Counts an unknown app id asked for by this address; repeats of one id do not count.</summary>
    public void RecordUnknownApp(IPAddress? address, string appId)
    {
        if (address is null)
        {
            return;
        }

        var now = Now();
        ref var entry = ref _slots[Index(address)];
        var slot = Volatile.Read(ref entry);
        if (slot is null || !slot.Address.Equals(address))
        {
            // A new address takes the slot unless the current one is blocked right now.
            if (slot is not null && slot.BlockedUntil > now)
            {
                return;
            }

            slot = new Slot(address, _limit);
            Volatile.Write(ref entry, slot);
        }

        var hash = XxHash3.HashToUInt64(MemoryMarshal.AsBytes(appId.AsSpan()));
        lock (slot)
        {
            if (now - slot.WindowStart > _windowMs)
            {
                slot.WindowStart = now;
                slot.Count = 0;
            }

            if (Array.IndexOf(slot.Seen, hash, 0, slot.Count) >= 0)
            {
                return;
            }

            slot.Seen[slot.Count++] = hash;
            if (slot.Count >= _limit)
            {
                slot.BlockedUntil = now + _blockMs;
                slot.Count = 0;
                slot.WindowStart = now;
            }
        }
    }

    private int Index(IPAddress address) => (int)((uint)address.GetHashCode() % (uint)_slots.Length);

    private long Now() => _time.GetUtcNow().ToUnixTimeMilliseconds();

    private sealed class Slot(IPAddress address, int limit)
    {
        public IPAddress Address { get; } = address;
        public ulong[] Seen { get; } = new ulong[limit];
        public int Count { get; set; }
        public long WindowStart { get; set; }
        public long BlockedUntil { get; set; }
    }
}

using System.IO.Hashing;
using System.Net;
using System.Runtime.InteropServices;
using Capgo.Edge.Core;
using Microsoft.Extensions.Options;

namespace Capgo.Edge.Server.Abuse;

/// <summary>
/// Per-client-network guard against app-id enumeration, and the per-app throttle list. A network
/// (<see cref="ClientNetwork"/>) asking for <see cref="AbuseOptions.UnknownAppLimit"/> distinct unknown
/// app ids within the window is blocked: for <see cref="AbuseOptions.BlockDuration"/> every app it has
/// not been served before is answered as unknown (429 <c>on_premise_app</c>), so further probes learn
/// nothing. Apps the network was served before stay served: behind a carrier NAT, one enumerating
/// client shares its address with thousands of devices, and those keep their updates. Memory is
/// fixed: a table of <see cref="AbuseOptions.TrackedClients"/> slots chosen by network hash (a busy
/// table forgets old networks instead of growing) and a table of four times as many
/// (network, app) hashes that were served, overwritten on collision.
/// </summary>
internal sealed class AbuseGuard
{
    private const int ServedPerClient = 4;

    private readonly Slot?[] _slots;
    private readonly ulong[] _served;
    private readonly int _limit;
    private readonly long _windowMs;
    private readonly long _blockMs;
    private readonly int _ipv4Prefix;
    private readonly int _ipv6Prefix;
    private readonly TimeProvider _time;
    private readonly Dictionary<string, int> _throttled;

    public AbuseGuard(IOptions<AbuseOptions> options, TimeProvider time)
    {
        var o = options.Value;
        _slots = new Slot?[o.TrackedClients];
        _served = new ulong[o.TrackedClients * ServedPerClient];
        _limit = o.UnknownAppLimit;
        _windowMs = (long)o.UnknownAppWindow.TotalMilliseconds;
        _blockMs = (long)o.BlockDuration.TotalMilliseconds;
        _ipv4Prefix = o.Ipv4PrefixLength;
        _ipv6Prefix = o.Ipv6PrefixLength;
        _time = time;
        _throttled = new Dictionary<string, int>(o.ThrottledApps, StringComparer.OrdinalIgnoreCase);
    }

    /// <summary>The Retry-After seconds when this app is on the throttle list.</summary>
    public bool IsThrottled(string? appId, out int retryAfterSeconds)
    {
        retryAfterSeconds = 0;
        return _throttled.Count > 0 && appId is not null && _throttled.TryGetValue(appId, out retryAfterSeconds);
    }

    /// <summary>The client network of this address, as every per-client limit keys it.</summary>
    public ClientNetwork NetworkOf(IPAddress address) => ClientNetwork.Of(address, _ipv4Prefix, _ipv6Prefix);

    /// <summary>
    /// The app this client may be answered from: null when the app is unknown (counted as a probe of
    /// the client's network) or when the network is blocked and was never served it. Allocation-free
    /// for a known app.
    /// </summary>
    public AppSnapshot? Find(ProjectionStore store, IPAddress? client, string appId)
    {
        var app = store.Find(appId);
        if (client is null)
        {
            return app;
        }

        var network = NetworkOf(client);
        if (app is null)
        {
            RecordUnknownApp(network, appId);
            return null;
        }

        var served = ServedKey(network, app.AppId);
        ref var entry = ref _served[(int)(served % (ulong)_served.Length)];
        if (IsBlocked(network))
        {
            return Volatile.Read(ref entry) == served ? app : null;
        }

        // Written only when it changes: a repeat poll leaves the cache line clean.
        if (Volatile.Read(ref entry) != served)
        {
            Volatile.Write(ref entry, served);
        }

        return app;
    }

    /// <summary>True while this address's network is blocked for enumerating app ids. Allocation-free.</summary>
    public bool IsBlocked(IPAddress? address) => address is not null && IsBlocked(NetworkOf(address));

    /// <summary>Counts an unknown app id asked for from this address's network; repeats of one id do not count.</summary>
    public void RecordUnknownApp(IPAddress? address, string appId)
    {
        if (address is not null)
        {
            RecordUnknownApp(NetworkOf(address), appId);
        }
    }

    private bool IsBlocked(ClientNetwork network)
    {
        var slot = Volatile.Read(ref _slots[Index(network)]);
        return slot is not null && slot.BlockedUntil > Now() && slot.Network == network;
    }

    private void RecordUnknownApp(ClientNetwork network, string appId)
    {
        var now = Now();
        ref var entry = ref _slots[Index(network)];
        var slot = Volatile.Read(ref entry);
        if (slot is null || slot.Network != network)
        {
            // A new network takes the slot unless the current one is blocked right now.
            if (slot is not null && slot.BlockedUntil > now)
            {
                return;
            }

            slot = new Slot(network, _limit);
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

            // Probing on while blocked renews the block: it ends one block duration after the last burst.
            slot.Seen[slot.Count++] = hash;
            if (slot.Count >= _limit)
            {
                slot.BlockedUntil = now + _blockMs;
                slot.Count = 0;
                slot.WindowStart = now;
            }
        }
    }

    /// <summary>A non-zero hash of (network, app id); the app id as the projection spells it.</summary>
    private static ulong ServedKey(ClientNetwork network, string appId) =>
        XxHash3.HashToUInt64(MemoryMarshal.AsBytes(appId.AsSpan()), (long)(ulong)network.Prefix ^ (long)(ulong)(network.Prefix >> 64)) | 1;

    private int Index(ClientNetwork network) => (int)((uint)network.GetHashCode() % (uint)_slots.Length);

    private long Now() => _time.GetUtcNow().ToUnixTimeMilliseconds();

    private sealed class Slot(ClientNetwork network, int limit)
    {
        public ClientNetwork Network { get; } = network;
        public ulong[] Seen { get; } = new ulong[limit];
        public int Count { get; set; }
        public long WindowStart { get; set; }
        public long BlockedUntil { get; set; }
    }
}

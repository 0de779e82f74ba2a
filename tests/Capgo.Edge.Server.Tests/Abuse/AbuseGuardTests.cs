using System.Net;
using System.Reflection;
using Capgo.Edge.Server.Abuse;
using Microsoft.Extensions.Options;

namespace Capgo.Edge.Server.Tests.Abuse;

/// <summary>The guard itself: fixed memory, distinct ids only, the window, the block duration, networks not addresses.</summary>
public sealed class AbuseGuardTests
{
    private const int Tracked = 1024;
    private const int Limit = 3;

    private static readonly FieldInfo SlotsField =
        typeof(AbuseGuard).GetField("_slots", BindingFlags.NonPublic | BindingFlags.Instance)
        ?? throw new InvalidOperationException("AbuseGuard has no _slots table");

    private readonly ManualTime _time = new();

    private AbuseGuard NewGuard(int tracked = Tracked) => new(
        Options.Create(new AbuseOptions
        {
            TrackedClients = tracked,
            UnknownAppLimit = Limit,
            UnknownAppWindow = TimeSpan.FromMinutes(1),
            BlockDuration = TimeSpan.FromMinutes(10),
        }),
        _time);

    private static Array Slots(AbuseGuard guard) => (Array)SlotsField.GetValue(guard)!;

    private static IPAddress V4(uint value) => new(new[] { (byte)(value >> 24), (byte)(value >> 16), (byte)(value >> 8), (byte)value });

    private static void Enumerate(AbuseGuard guard, IPAddress address, int count, int first = 0)
    {
        for (var i = first; i < first + count; i++)
        {
            guard.RecordUnknownApp(address, $"com.enumerated{i}.app");
        }
    }

    [Fact]
    public void A_million_addresses_fit_in_the_fixed_table_and_the_guard_keeps_working()
    {
        var guard = NewGuard();
        var table = Slots(guard);
        Assert.Equal(Tracked, table.Length);

        for (uint i = 0; i < 1_000_000; i++)
        {
            guard.RecordUnknownApp(V4(0x0A00_0000 + i), "com.enumerated.app");
        }

        // Same table, same size: old addresses were forgotten, nothing grew.
        Assert.Same(table, Slots(guard));
        Assert.Equal(Tracked, Slots(guard).Length);
        var live = table.Cast<object?>().Where(s => s is not null).ToList();
        Assert.InRange(live.Count, 1, Tracked);
        Assert.Equal(live.Count, live.Distinct().Count());

        // Still blocks a newcomer that enumerates, and only that one.
        var attacker = IPAddress.Parse("198.51.100.77");
        var neighbour = IPAddress.Parse("198.51.100.78");
        Enumerate(guard, attacker, Limit - 1);
        Assert.False(guard.IsBlocked(attacker));
        Enumerate(guard, attacker, 1, first: Limit);
        Assert.True(guard.IsBlocked(attacker));
        Assert.False(guard.IsBlocked(neighbour));
        Assert.Same(table, Slots(guard));
    }

    [Fact]
    public void Repeats_of_one_id_do_not_count()
    {
        var guard = NewGuard();
        var address = IPAddress.Parse("203.0.113.5");
        for (var i = 0; i < 1000; i++)
        {
            guard.RecordUnknownApp(address, "com.same.app");
        }

        Assert.False(guard.IsBlocked(address));
        Enumerate(guard, address, Limit - 1);
        Assert.True(guard.IsBlocked(address));
    }

    [Fact]
    public void Distinct_ids_count_within_the_window_only()
    {
        var guard = NewGuard();
        var address = IPAddress.Parse("2001:db8::1");
        Enumerate(guard, address, Limit - 1);
        _time.Advance(TimeSpan.FromMinutes(1.5));
        Enumerate(guard, address, Limit - 1, first: 100);
        Assert.False(guard.IsBlocked(address));
        Enumerate(guard, address, 1, first: 200);
        Assert.True(guard.IsBlocked(address));
    }

    [Fact]
    public void The_block_ends_after_its_duration()
    {
        var guard = NewGuard();
        var address = IPAddress.Parse("203.0.113.6");
        Enumerate(guard, address, Limit);
        Assert.True(guard.IsBlocked(address));
        _time.Advance(TimeSpan.FromMinutes(9));
        Assert.True(guard.IsBlocked(address));
        _time.Advance(TimeSpan.FromMinutes(1.1));
        Assert.False(guard.IsBlocked(address));
    }

    [Fact]
    public void Probing_on_while_blocked_renews_the_block()
    {
        var guard = NewGuard();
        var address = IPAddress.Parse("203.0.113.7");
        Enumerate(guard, address, Limit);
        _time.Advance(TimeSpan.FromMinutes(9));
        Enumerate(guard, address, Limit, first: 100);
        _time.Advance(TimeSpan.FromMinutes(9));
        Assert.True(guard.IsBlocked(address));
        _time.Advance(TimeSpan.FromMinutes(1.1));
        Assert.False(guard.IsBlocked(address));
    }

    [Fact]
    public void A_blocked_address_keeps_its_slot_against_newcomers()
    {
        // The smallest table: many addresses share the blocked address's slot.
        var guard = NewGuard(tracked: 16);
        var blocked = IPAddress.Parse("203.0.113.9");
        Enumerate(guard, blocked, Limit);
        for (uint i = 0; i < 10_000; i++)
        {
            guard.RecordUnknownApp(V4(0xC000_0200 + i), "com.other.app");
        }

        Assert.True(guard.IsBlocked(blocked));
        Assert.Equal(16, Slots(guard).Length);
    }

    [Fact]
    public void Addresses_of_one_ipv6_64_are_one_client_and_the_next_64_is_another()
    {
        var guard = NewGuard();
        for (var i = 0; i < Limit; i++)
        {
            guard.RecordUnknownApp(IPAddress.Parse($"2001:db8:1:2::{i + 1:x}"), $"com.enumerated{i}.app");
        }

        Assert.True(guard.IsBlocked(IPAddress.Parse("2001:db8:1:2:ffff:ffff:ffff:ffff")));
        Assert.False(guard.IsBlocked(IPAddress.Parse("2001:db8:1:3::1")));
    }

    [Fact]
    public void No_address_is_never_blocked()
    {
        var guard = NewGuard();
        Enumerate(guard, null!, Limit * 2);
        Assert.False(guard.IsBlocked(null));
    }

    [Fact]
    public void The_throttle_list_ignores_case()
    {
        var guard = new AbuseGuard(
            Options.Create(new AbuseOptions { ThrottledApps = { ["com.demo.app"] = 42 } }),
            _time);
        Assert.True(guard.IsThrottled("COM.DEMO.APP", out var seconds));
        Assert.Equal(42, seconds);
        Assert.False(guard.IsThrottled("com.other.app", out _));
        Assert.False(guard.IsThrottled(null, out _));
    }

    private sealed class ManualTime : TimeProvider
    {
        private DateTimeOffset _now = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

        public override DateTimeOffset GetUtcNow() => _now;

        public void Advance(TimeSpan by) => _now += by;
    }
}

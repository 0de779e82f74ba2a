namespace Capgo.Edge.Core.Tests;

/// <summary>Maps built in bulk: collected, sorted once.</summary>
public sealed class DeviceOverridesBuilderTests
{
    private const string Device = "00009a6b-eefe-490a-9c60-8e965132ae51";

    [Fact]
    public void A_map_built_in_bulk_finds_its_pins_in_any_case()
    {
        var builder = new DeviceOverridesBuilder();
        Assert.True(builder.Add(Device.ToUpperInvariant(), "beta"));
        Assert.True(builder.Add("11111111-2222-4333-8444-555555555555"u8, "production"u8));
        Assert.False(builder.Add("not-a-uuid"u8, "production"u8));
        var map = builder.Build();

        Assert.Equal(2, map.Count);
        Assert.True(map.TryGet(Device, out var channel));
        Assert.Equal("beta", channel);
        Assert.True(map.TryGet("11111111-2222-4333-8444-555555555555".ToUpperInvariant(), out channel));
        Assert.Equal("production", channel);
        Assert.False(map.TryGet("22222222-2222-4333-8444-555555555555", out _));
    }
    [Fact]
    public void A_device_added_twice_to_a_builder_is_reported_and_kept_once()
    {
        var builder = new DeviceOverridesBuilder();
        builder.Add(Device, "beta");
        builder.Add("11111111-2222-4333-8444-555555555555", "beta");
        builder.Add(Device.ToUpperInvariant(), "production");

        Assert.False(builder.TryBuild(out var map, out var duplicate));
        Assert.Equal(Guid.Parse(Device), duplicate);
        Assert.Equal(2, map.Count);
        Assert.Equal(2, map.Entries.Count());
    }
    [Fact]
    public void A_million_pins_built_in_bulk_take_at_most_32_bytes_each()
    {
        const int Pins = 1_000_000;
        var random = new Random(32);
        var ids = new Guid[Pins];
        Span<byte> bytes = stackalloc byte[16];
        for (var i = 0; i < Pins; i++)
        {
            random.NextBytes(bytes);
            ids[i] = new Guid(bytes);
        }

        var channels = new[] { "production", "beta", "staging", "development" };
        var before = GC.GetAllocatedBytesForCurrentThread();
        var builder = new DeviceOverridesBuilder(Pins);
        for (var i = 0; i < Pins; i++)
        {
            builder.Add(ids[i], channels[i % channels.Length]);
        }

        var map = builder.Build();
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(Pins, map.Count);
        Assert.True(allocated <= 32L * Pins + 64 * 1024, $"{allocated / (double)Pins:F1} bytes a pin");
        Assert.True(map.TryGet(ids[Pins / 2].ToString(), out var channel) && channel == channels[Pins / 2 % channels.Length]);
    }
}

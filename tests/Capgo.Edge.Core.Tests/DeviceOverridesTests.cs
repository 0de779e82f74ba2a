using static Capgo.Edge.Core.Tests.OverrideMaps;

namespace Capgo.Edge.Core.Tests;

public sealed class DeviceOverridesTests
{
    private const string Device = "00009a6b-eefe-490a-9c60-8e965132ae51";

    [Fact]
    public void Set_get_and_remove_one_device_in_any_case()
    {
        var map = new DeviceOverrides();
        Assert.False(map.TryGet(Device, out _));

        Assert.True(map.Set(Device.ToUpperInvariant(), "beta"));
        Assert.Equal(1, map.Count);
        Assert.True(map.TryGet(Device, out var channel));
        Assert.Equal("beta", channel);

        // Setting again replaces, it does not add.
        Assert.True(map.Set(Device, "development"));
        Assert.Equal(1, map.Count);
        Assert.True(map.TryGet(Device.ToUpperInvariant(), out channel));
        Assert.Equal("development", channel);

        Assert.True(map.Remove(Device));
        Assert.False(map.Remove(Device));
        Assert.Equal(0, map.Count);
        Assert.False(map.TryGet(Device, out _));
    }

    [Theory]
    [InlineData("")]
    [InlineData("not-a-uuid")]
    [InlineData("00009a6b-eefe-490a-9c60-8e965132ae5")]
    public void Ids_that_are_not_uuids_are_refused_and_never_found(string id)
    {
        var map = new DeviceOverrides();
        map.Set(Device, "beta");
        Assert.False(map.Set(id, "beta"));
        Assert.False(map.TryGet(id, out _));
        Assert.False(map.Remove(id));
        Assert.Equal(1, map.Count);
    }

    [Fact]
    public void Entries_list_every_pin_in_lower_case()
    {
        var map = new DeviceOverrides();
        map.Set(Device.ToUpperInvariant(), "beta");
        map.Set("11111111-2222-4333-8444-555555555555", "production");
        Assert.Equal(
            [("00009a6b-eefe-490a-9c60-8e965132ae51", "beta"), ("11111111-2222-4333-8444-555555555555", "production")],
            map.Entries.Select(static e => (e.Key, e.Value)).Order());
    }

    [Fact]
    public void Concurrent_sets_and_removes_keep_the_count_exact()
    {
        var map = new DeviceOverrides();
        var ids = Enumerable.Range(0, 10_000).Select(static i => new Guid(i, 0, 0, new byte[8]).ToString()).ToArray();
        Parallel.ForEach(ids, id => map.Set(id, "beta"));
        Parallel.ForEach(ids, id => map.Set(id, "production"));
        Assert.Equal(ids.Length, map.Count);
        Parallel.ForEach(ids.Where(static (_, i) => i % 2 == 0), id => map.Remove(id));
        Assert.Equal(ids.Length / 2, map.Count);
    }
    [Fact]
    public void Looking_a_pin_up_allocates_nothing_in_the_base_or_a_delta()
    {
        var ids = Ids(1_000);
        var map = Build(ids, "beta", minimumMerge: 1_000_000);
        map.Set(NewId(1), "production");
        map.Remove(ids[2]);
        string[] probes = [ids[7], NewId(1), ids[2], NewId(3)];
        foreach (var probe in probes)
        {
            map.TryGet(probe, out _);
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1_000; i++)
        {
            map.TryGet(probes[i % probes.Length], out _);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}

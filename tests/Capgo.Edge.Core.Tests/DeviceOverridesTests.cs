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
    public async Task Pins_naming_more_than_256_channels_keep_each_name_through_a_merge()
    {
        var ids = Ids(600);
        var builder = new DeviceOverridesBuilder();
        for (var i = 0; i < ids.Length; i++)
        {
            builder.Add(ids[i], $"channel-{i % 300}");
        }

        var map = builder.Build(minimumMerge: 1);
        foreach (var id in ids.Take(20))
        {
            Assert.True(map.Set(id, "channel-299"));
        }

        await Settled(map);
        Assert.Equal(1, map.Merges);
        Assert.All(ids.Select((id, i) => (id, i)), e => Assert.True(map.TryGet(e.id, out var c) && c == (e.i < 20 ? "channel-299" : $"channel-{e.i % 300}")));
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
    public async Task Changes_to_a_bulk_built_map_set_change_remove_and_re_add_across_merges()
    {
        var ids = Ids(100);
        var map = Build(ids, "beta", minimumMerge: 4);
        Assert.Equal(100, map.MergedCount);

        Assert.True(map.Set(ids[0], "production"));        // change a pin the base holds
        Assert.True(map.Remove(ids[1]));                   // remove one: a tombstone over the base
        Assert.True(map.Set(NewId(1), "alpha"));           // a new device, and a channel name not in the table
        Assert.False(map.Remove(NewId(2)));                // never pinned
        Assert.Equal(100, map.Count);
        Assert.True(map.TryGet(ids[0], out var channel) && channel == "production");
        Assert.False(map.TryGet(ids[1], out _));
        Assert.True(map.TryGet(NewId(1), out channel) && channel == "alpha");

        Assert.True(map.Set(ids[1], "staging"));           // re-add over its own tombstone
        Assert.Equal(100, map.MergedCount);

        // The fourth device changed reaches the merge threshold: the delta folds into a new base.
        Assert.True(map.Set(NewId(4), "alpha"));
        await Settled(map);
        Assert.Equal(102, map.Count);
        Assert.Equal(102, map.MergedCount);
        Assert.True(map.TryGet(ids[1], out channel) && channel == "staging");
        Assert.True(map.TryGet(ids[0], out channel) && channel == "production");
        Assert.True(map.TryGet(ids[99], out channel) && channel == "beta");

        Assert.True(map.Remove(ids[1]));
        Assert.False(map.TryGet(ids[1], out _));
        Assert.Equal(101, map.Count);
    }

    [Fact]
    public async Task Random_changes_agree_with_a_dictionary_after_every_step_and_every_merge()
    {
        var random = new Random(19);
        var ids = Ids(500);
        var channels = new[] { "production", "beta", "staging", "qa" };
        var expected = ids.Take(250).ToDictionary(static id => id, _ => "beta");
        var map = Build(ids.Take(250).ToArray(), "beta", minimumMerge: 16);
        for (var step = 0; step < 20_000; step++)
        {
            var id = ids[random.Next(ids.Length)];
            if (random.Next(3) == 0)
            {
                Assert.Equal(expected.Remove(id), map.Remove(id.ToUpperInvariant()));
            }
            else
            {
                var channel = channels[random.Next(channels.Length)];
                expected[id] = channel;
                Assert.True(map.Set(id, channel));
            }

            Assert.Equal(expected.Count, map.Count);
            Assert.Equal(expected.TryGetValue(id, out var want), map.TryGet(id, out var got));
            Assert.Equal(want ?? "", got);
            if (step % 1_000 == 0)
            {
                await Settled(map);
                Assert.Equal(Sorted(expected), Sorted(map.Entries));
            }
        }

        await Settled(map);
        Assert.Equal(Sorted(expected), Sorted(map.Entries));
        Assert.All(ids, id => Assert.Equal(expected.ContainsKey(id), map.TryGet(id, out _)));
    }

    [Fact]
    public async Task Lookups_from_another_thread_during_merges_always_find_the_pins_that_do_not_change()
    {
        var stable = Ids(2_000);
        var churn = Enumerable.Range(0, 5_000).Select(NewId).ToArray();
        var map = Build(stable, "production", minimumMerge: 64);
        var misses = 0;
        var wrong = 0;
        using var done = new CancellationTokenSource();
        var reader = Task.Run(() =>
        {
            var i = 0;
            while (!done.IsCancellationRequested)
            {
                if (!map.TryGet(stable[i++ % stable.Length], out var channel))
                {
                    Interlocked.Increment(ref misses);
                }
                else if (channel != "production")
                {
                    Interlocked.Increment(ref wrong);
                }

                // A churned device is absent or pinned to one of the two channels it is ever given.
                if (map.TryGet(churn[i % churn.Length], out channel) && channel is not ("beta" or "staging"))
                {
                    Interlocked.Increment(ref wrong);
                }
            }
        });

        for (var round = 0; round < 41; round++)
        {
            foreach (var id in churn)
            {
                map.Set(id, round % 2 == 0 ? "beta" : "staging");
                if (round % 3 == 0)
                {
                    map.Remove(id);
                }
            }

            await Settled(map);
        }

        done.Cancel();
        await reader;
        Assert.True(map.Merges > 30, $"only {map.Merges} merges");
        Assert.Equal(0, misses);
        Assert.Equal(0, wrong);
        Assert.Equal(stable.Length + churn.Length, map.Count);
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

    private static string[] Ids(int count) =>
        Enumerable.Range(0, count).Select(static i => new Guid(i, 0xabc, 0xdef, new byte[8]).ToString()).ToArray();

    private static (string, string)[] Sorted(IEnumerable<KeyValuePair<string, string>> entries) =>
        entries.OrderBy(static e => e.Key, StringComparer.Ordinal).Select(static e => (e.Key, e.Value)).ToArray();

    /// <summary>Waits for the merge running and any it chains.</summary>
    private static async Task Settled(DeviceOverrides map)
    {
        Task merging;
        do
        {
            merging = map.Merging;
            await merging;
        }
        while (!ReferenceEquals(merging, map.Merging));
    }

    private static string NewId(int i) => new Guid(i, 0xfed, 0xcba, new byte[8]).ToString();

    private static DeviceOverrides Build(string[] ids, string channel, int minimumMerge)
    {
        var builder = new DeviceOverridesBuilder();
        foreach (var id in ids)
        {
            builder.Add(id, channel);
        }

        return builder.Build(minimumMerge);
    }
}

using static Capgo.Edge.Core.Tests.OverrideMaps;

namespace Capgo.Edge.Core.Tests;

/// <summary>Changes go to a delta and are merged into a new sorted base off the caller's thread.</summary>
public sealed class DeviceOverridesMergeTests
{
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
}

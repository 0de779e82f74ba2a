using Capgo.Edge.Tests.Support;
using StackExchange.Redis;

namespace Capgo.Edge.Redis.Tests;

/// <summary>A cold edge reads an app's pins in bulk: one reply for most apps, pages for the largest.</summary>
[Collection(SharedRedis.Name)]
public sealed class OverrideLoadTests(RedisFixture redis)
{
    [Fact]
    public async Task An_app_with_more_pins_than_one_reply_holds_is_read_whole_in_pages()
    {
        const int Pins = 100_100;
        var layout = redis.NewLayout();
        await redis.Publisher(layout).PublishAsync(Documents.Sample(withOverrides: false));
        var ids = Enumerable.Range(0, Pins).Select(static i => new Guid(i, 7, 7, new byte[8]).ToString()).ToArray();
        static string Channel(int i) => i % 2 == 0 ? "beta" : "development";
        var db = redis.Mux.GetDatabase();
        foreach (var chunk in ids.Select(static (id, i) => new HashEntry(id, Channel(i))).Chunk(10_000))
        {
            await db.HashSetAsync(layout.AppOverrides(Documents.AppId), chunk);
        }

        await using var edge = await TestEdge.StartAsync(new TestEdgeOptions { Redis = redis.ConnectionString, Name = "cold", Prefix = layout.Prefix, WaitForApps = [Documents.AppId] });

        var overrides = edge.Store.Find(Documents.AppId)!.Overrides;
        Assert.Equal(Pins, overrides.Count);
        Assert.All([0, 1, Pins / 2, Pins - 1], i => Assert.True(overrides.TryGet(ids[i].ToUpperInvariant(), out var channel) && channel == Channel(i)));
    }
}

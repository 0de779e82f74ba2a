using Capgo.Edge.Tests.Support;

namespace Capgo.Edge.Redis.Tests;

/// <summary>Acknowledgements tell <c>--wait</c> what each edge serves; they must survive a lost connection.</summary>
[Collection(SharedRedis.Name)]
public sealed class EdgePresenceTests(RedisFixture redis)
{
    private readonly RedisLayout _layout = redis.NewLayout();

    [Fact]
    public async Task An_acknowledgement_lost_while_Redis_was_away_is_written_again_after_reconnecting()
    {
        await using var proxy = new TcpProxy(redis.Server.Port);
        await using var edge = await TestEdge.StartAsync(new TestEdgeOptions
        {
            Redis = $"127.0.0.1:{proxy.Port},abortConnect=false,connectTimeout=1000",
            Name = "away",
            Prefix = _layout.Prefix,
            WaitReady = true,
        });
        var gen = await redis.Publisher(_layout).PublishAsync(Documents.Sample());
        var db = redis.Mux.GetDatabase();
        await Eventually.TrueAsync(
            async () => ((string?)await db.HashGetAsync(_layout.EdgeApps("away"), Documents.AppId))?.StartsWith(gen + " ", StringComparison.Ordinal) == true,
            "the first acknowledgement");

        // The acknowledgement the edge wrote while cut off never reached Redis: here, it is removed.
        proxy.Cut();
        await db.HashDeleteAsync(_layout.EdgeApps("away"), Documents.AppId);
        await Task.Delay(1500);
        proxy.Restore();

        await Eventually.TrueAsync(
            async () => ((string?)await db.HashGetAsync(_layout.EdgeApps("away"), Documents.AppId))?.StartsWith(gen + " ", StringComparison.Ordinal) == true,
            "the acknowledgement written again once the edge is back");
    }
}

using Capgo.Edge.ControlPlane;
using Capgo.Edge.Tests.Support;
using StackExchange.Redis;

namespace Capgo.Edge.Redis.Tests;

/// <summary>
/// The ACL rules of docs/redis-acl.md on a real redis-server: the edge user syncs but cannot write a
/// projection; the publisher user can. The rules name the default prefix, so this test uses it.
/// </summary>
[Collection(SharedRedis.Name)]
public sealed class AclTests(RedisFixture redis) : IAsyncLifetime
{
    private const string EdgePassword = "edge-secret-for-tests";
    private const string PublisherPassword = "publisher-secret-for-tests";

    // The rules exactly as documented, with clear-text passwords, as ACL file lines.
    private static readonly string[] AclLines =
    [
        "user default on nopass ~* &* +@all",
        $"user capgo-edge-acl-edge on >{EdgePassword} resetkeys resetchannels %R~capgo:edge:* %W~capgo:edge:edges %W~capgo:edge:edge:acl-edge:* %W~capgo:edge:events &capgo:edge:changes -@all +@read -@dangerous +ping +echo +hello +auth +client|setname +client|id +info +subscribe +unsubscribe +zadd +zrem +hset +hdel +xadd",
        $"user capgo-publisher on >{PublisherPassword} resetkeys resetchannels ~capgo:edge:* &capgo:edge:changes -@all +@read +@write +@scripting +@connection -@dangerous -script|flush -function +time +publish +info +client|setname +client|id",
    ];

    /// <summary>Each ACL file line, as <c>ACL SETUSER</c> on the shared server.</summary>
    public async Task InitializeAsync()
    {
        var server = redis.Mux.GetServer(redis.Mux.GetEndPoints()[0]);
        foreach (var line in AclLines)
        {
            object[] args = ["SETUSER", .. line.Split(' ')[1..]];
            await server.ExecuteAsync("ACL", args);
        }
    }

    public Task DisposeAsync() => Task.CompletedTask;

    private string As(string user, string password) => $"{redis.ConnectionString},user={user},password={password}";

    [Fact]
    public async Task Edge_credentials_sync_but_cannot_write_the_projection()
    {
        await using var publisherMux = await ConnectionMultiplexer.ConnectAsync(As("capgo-publisher", PublisherPassword));
        var publisher = new ProjectionPublisher(publisherMux, new RedisLayout());

        await using var edge = await TestEdge.StartAsync(new TestEdgeOptions { Redis = As("capgo-edge-acl-edge", EdgePassword), Name = "acl-edge", WaitReady = true });
        var gen = await publisher.PublishAsync(Documents.Sample());
        var ogen = await publisher.SetOverrideAsync(Documents.AppId, Documents.AndroidDevice, "development");

        // The edge reads, subscribes, heartbeats and acknowledges with its read-only user.
        await Eventually.TrueAsync(
            () => edge.GenerationOf(Documents.AppId) == gen && edge.Store.Find(Documents.AppId)!.Overrides.Generation == ogen,
            "the edge to sync with its own user");
        var wait = await publisher.WaitForEdgesAsync(Documents.AppId, ogen, overrides: true, TimeSpan.FromSeconds(10));
        Assert.True(wait.AllServing, "the edge's acknowledgement should be visible to the publisher");
        Assert.Equal(["acl-edge"], wait.Serving);

        // The same credentials cannot change what devices receive.
        // allowAdmin: the client library would refuse admin commands itself; the server must refuse them.
        await using var edgeMux = await ConnectionMultiplexer.ConnectAsync(As("capgo-edge-acl-edge", EdgePassword) + ",allowAdmin=true");
        var asEdge = new ProjectionPublisher(edgeMux, new RedisLayout());
        await AssertNoPermAsync(() => asEdge.PublishAsync(Documents.Sample(betaBundle: "1.5.0")));
        await AssertNoPermAsync(() => asEdge.SetOverrideAsync(Documents.AppId, Documents.AndroidDevice, "beta"));
        await AssertNoPermAsync(() => asEdge.DeleteAsync(Documents.AppId));

        var db = edgeMux.GetDatabase();
        var layout = new RedisLayout();
        await AssertNoPermAsync(() => db.HashSetAsync(layout.App(Documents.AppId), "doc", "{}"));
        await AssertNoPermAsync(() => db.HashSetAsync(layout.AppOverrides(Documents.AppId), Documents.AndroidDevice, "beta"));
        await AssertNoPermAsync(() => db.SetAddAsync(layout.Apps, "com.evil.app"));
        await AssertNoPermAsync(() => db.KeyDeleteAsync(layout.App(Documents.AppId)));
        await AssertNoPermAsync(() => db.PublishAsync(RedisChannel.Literal("capgo:edge:changes"), """{"type":"delete","app_id":"com.demo.app","generation":99999999999999999}"""));

        // Nor forge another edge's acknowledgement (which --wait reads), nor disturb other clients.
        await AssertNoPermAsync(() => db.HashSetAsync(layout.EdgeApps("other-edge"), Documents.AppId, $"{gen} {ogen}"));
        await db.HashSetAsync(layout.EdgeApps("acl-edge"), "com.demo.probe", "1 1");
        var asEdgeServer = edgeMux.GetServer(edgeMux.GetEndPoints()[0]);
        await AssertNoPermAsync(() => asEdgeServer.ExecuteAsync("CLIENT", "KILL", "TYPE", "pubsub"));
        await AssertNoPermAsync(() => asEdgeServer.ExecuteAsync("CLIENT", "PAUSE", "10"));
        await AssertNoPermAsync(() => asEdgeServer.ExecuteAsync("KEYS", "*"));

        // Nothing changed: the edge still serves the publisher's generation.
        Assert.Equal(gen, edge.GenerationOf(Documents.AppId));
        var (status, body) = await edge.CheckAsync(Documents.AndroidCheck());
        Assert.Equal(200, status);
        Assert.Equal("disable_prod_build", body.GetProperty("error").GetString());
    }

    [Fact]
    public async Task Publisher_credentials_publish_but_cannot_flush_reconfigure_or_enumerate_Redis()
    {
        await using var publisherMux = await ConnectionMultiplexer.ConnectAsync(As("capgo-publisher", PublisherPassword) + ",allowAdmin=true");
        var publisher = new ProjectionPublisher(publisherMux, new RedisLayout());
        Assert.True(await publisher.PublishAsync(Documents.Sample()) > 0);

        var server = publisherMux.GetServer(publisherMux.GetEndPoints()[0]);
        foreach (var command in new[] { "FLUSHALL", "FLUSHDB", "CONFIG SET save x", "SCRIPT FLUSH", "FUNCTION FLUSH", "KEYS *", "CLIENT KILL TYPE normal", "SHUTDOWN NOSAVE" })
        {
            var words = command.Split(' ');
            await AssertNoPermAsync(() => server.ExecuteAsync(words[0], words[1..]));
        }

        Assert.NotNull(await publisher.GetDocumentAsync(Documents.AppId));
    }

    private static async Task AssertNoPermAsync(Func<Task> write)
    {
        var ex = await Record.ExceptionAsync(write);
        Assert.NotNull(ex);
        Assert.True(ex.ToString().Contains("NOPERM", StringComparison.Ordinal), ex.ToString()[..Math.Min(400, ex.ToString().Length)]);
    }
}

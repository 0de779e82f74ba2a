using Capgo.Edge.ControlPlane;
using Capgo.Edge.Tests.Support;
using StackExchange.Redis;

namespace Capgo.Edge.Redis.Tests;

/// <summary>
/// The ACL rules of docs/redis-acl.md on a real redis-server: the edge user syncs and may write device
/// pins, but cannot write a document; the publisher user can. The rules name the default prefix, so this test uses it.
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
        $"user capgo-edge-acl-edge on >{EdgePassword} resetkeys resetchannels %R~capgo:edge:* %W~capgo:edge:edges %W~capgo:edge:edge:acl-edge:* %W~capgo:edge:events ~capgo:edge:app:*:overrides ~capgo:edge:app:*:ogen ~capgo:edge:generation &capgo:edge:changes -@all +@read -@dangerous +ping +echo +hello +auth +client|setname +client|id +info +subscribe +unsubscribe +zadd +zrem +hset +hdel +xadd +set +time +publish +evalsha +eval",
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
        await AssertNoPermAsync(() => asEdge.DeleteAsync(Documents.AppId));

        // The one write it has on the projection: device pins, through the override script (the
        // channel an old plugin chose), announced to every edge like a publisher's.
        var pinned = await asEdge.SetOverrideAsync(Documents.AppId, "11111111-2222-4333-8444-555555555555", "beta");
        await Eventually.TrueAsync(() => edge.Store.Find(Documents.AppId)!.Overrides.Generation == pinned, "the edge user's pin to be applied");

        var db = edgeMux.GetDatabase();
        var layout = new RedisLayout();
        await AssertNoPermAsync(() => db.HashSetAsync(layout.App(Documents.AppId), "doc", "{}"));
        await AssertNoPermAsync(() => db.SetAddAsync(layout.Apps, "com.evil.app"));
        await AssertNoPermAsync(() => db.KeyDeleteAsync(layout.App(Documents.AppId)));
        await AssertNoPermAsync(() => db.HashSetAsync(layout.AppChannels(Documents.AppId), "x", "y"));

        // It may announce (its pins need it), but a forged delete removes nothing: edges confirm it in Redis.
        await db.PublishAsync(RedisChannel.Literal("capgo:edge:changes"), """{"type":"delete","app_id":"com.demo.app","generation":99999999999999999}""");
        var after = await asEdge.SetOverrideAsync(Documents.AppId, "11111111-2222-4333-8444-555555555555", "production");
        await Eventually.TrueAsync(() => edge.Store.Find(Documents.AppId)?.Overrides.Generation == after, "the announcement after the forged one (announcements apply in order)");
        Assert.NotNull(edge.Store.Find(Documents.AppId));

        // Nor forge another edge's acknowledgement (which --wait reads), nor disturb other clients.
        await AssertNoPermAsync(() => db.HashSetAsync(layout.EdgeApps("other-edge"), Documents.AppId, $"{gen} {ogen}"));
        await db.HashSetAsync(layout.EdgeApps("acl-edge"), "com.demo.probe", "1 1");
        var asEdgeServer = edgeMux.GetServer(edgeMux.GetEndPoints()[0]);
        await AssertNoPermAsync(() => asEdgeServer.ExecuteAsync("CLIENT", "KILL", "TYPE", "pubsub"));
        await AssertNoPermAsync(() => asEdgeServer.ExecuteAsync("CLIENT", "PAUSE", "10"));
        await AssertNoPermAsync(() => asEdgeServer.ExecuteAsync("KEYS", "*"));

        // Nothing of the document changed: the edge still serves the publisher's generation.
        Assert.Equal(gen, edge.GenerationOf(Documents.AppId));
        var (status, body) = await edge.CheckAsync(Documents.AndroidCheck());
        Assert.Equal(200, status);
        Assert.Equal("disable_prod_build", body.GetProperty("error").GetString());
    }

    [Fact]
    public async Task An_edge_with_only_its_own_user_stores_the_channel_an_old_plugin_chose()
    {
        await using var publisherMux = await ConnectionMultiplexer.ConnectAsync(As("capgo-publisher", PublisherPassword));
        await new ProjectionPublisher(publisherMux, new RedisLayout()).PublishAsync(Documents.Sample(withOverrides: false));
        await using var edge = await TestEdge.StartAsync(new TestEdgeOptions { Redis = As("capgo-edge-acl-edge", EdgePassword), Name = "acl-edge", WaitForApps = [Documents.AppId] });
        const string device = "22222222-3333-4444-8555-666666666666";

        // plugin 5.0.0: old enough for the server to store the choice.
        using var response = await edge.Http.PostAsync("/channel_self", new StringContent(
            $$"""{"app_id":"{{Documents.AppId}}","device_id":"{{device}}","channel":"beta","platform":"android","version_name":"1.3.1","version_build":"1.2.0","plugin_version":"5.0.0","is_emulator":false,"is_prod":true}""",
            System.Text.Encoding.UTF8,
            "application/json"));

        Assert.Equal(200, (int)response.StatusCode);
        Assert.Equal("beta", (string?)await publisherMux.GetDatabase().HashGetAsync(new RedisLayout().AppOverrides(Documents.AppId), device));
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

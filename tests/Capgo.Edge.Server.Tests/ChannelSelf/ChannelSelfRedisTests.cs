using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Capgo.Edge.Redis;
using Capgo.Edge.Server.Tests.Stats;
using StackExchange.Redis;
using static Capgo.Edge.Server.Tests.ChannelSelf.PluginApps;
using Capgo.Edge.Tests.Support;

namespace Capgo.Edge.Server.Tests.ChannelSelf;

/// <summary>
/// Redis mode: an old plugin's choice goes through the publisher path into Redis, so every edge on the
/// same Redis answers from it. The edges' own user is read-only (docs/redis-acl.md); only the publisher
/// credentials (<c>ConnectionStrings:RedisPublisher</c>) can write the pin. Fails without redis-server.
/// </summary>
public sealed class ChannelSelfRedisTests : IAsyncLifetime
{
    private const string EdgePassword = "edge-secret-for-tests";
    private const string PublisherPassword = "publisher-secret-for-tests";

    private RedisServer _redis = null!;
    private ConnectionMultiplexer _mux = null!;

    public async Task InitializeAsync()
    {
        _redis = await RedisServer.StartAsync();
        _mux = await ConnectionMultiplexer.ConnectAsync(_redis.ConnectionString);

        // The users of docs/redis-acl.md.
        await _mux.GetServer(_mux.GetEndPoints()[0]).ExecuteAsync(
            "ACL",
            "SETUSER", "capgo-edge", "on", ">" + EdgePassword, "resetkeys", "resetchannels", "%R~capgo:edge:*", "%W~capgo:edge:edges",
            "%W~capgo:edge:edge:*", "%W~capgo:edge:events", "&capgo:edge:changes", "-@all", "+@read", "+@connection", "+subscribe",
            "+unsubscribe", "+info", "+zadd", "+zrem", "+hset", "+hdel", "+xadd");
        await _mux.GetServer(_mux.GetEndPoints()[0]).ExecuteAsync(
            "ACL",
            "SETUSER", "capgo-publisher", "on", ">" + PublisherPassword, "resetkeys", "resetchannels", "~capgo:edge:*", "&capgo:edge:changes",
            "-@all", "+@read", "+@write", "+@connection", "+@scripting", "+time", "+publish", "+info");
        await StatsSamples.PublishSamplesAsync(_redis.ConnectionString);
    }

    public async Task DisposeAsync()
    {
        await _mux.DisposeAsync();
        await _redis.DisposeAsync();
    }

    private string As(string user, string password) => $"{_redis.ConnectionString},user={user},password={password}";

    private static async Task<(int Status, JsonElement Json)> SendAsync(TestEdge edge, HttpMethod method, string path, string? body = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8);
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        }

        using var response = await edge.Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(text.Length > 0, $"HTTP {(int)response.StatusCode} with an empty body");
        return ((int)response.StatusCode, JsonDocument.Parse(text).RootElement.Clone());
    }

    private static async Task<string?> OfferedVersionAsync(TestEdge edge, string device)
    {
        var (status, json) = await SendAsync(edge, HttpMethod.Post, "/updates", Body(OldPlugin, device).ToJsonString());
        return status == 200 && json.TryGetProperty("version", out var v) && !json.TryGetProperty("error", out _) ? v.GetString() : null;
    }

    [Fact]
    public async Task Old_plugin_set_reaches_a_second_edge_through_the_publisher_path()
    {
        var edgeUser = As("capgo-edge", EdgePassword);
        await using var first = await TestEdge.StartAsync(StatsSamples.OnRedis(
            edgeUser, $"--ConnectionStrings:RedisPublisher={As("capgo-publisher", PublisherPassword)}") with { Name = "edge-a" });
        await using var second = await TestEdge.StartAsync(StatsSamples.OnRedis(edgeUser) with { Name = "edge-b" });
        var device = NewDevice();
        Assert.Contains(await OfferedVersionAsync(second, device), ProductionVersions);

        var (status, json) = await SendAsync(first, HttpMethod.Post, "/channel_self", Body(OldPlugin, device, channel: "beta").ToJsonString());
        Assert.Equal(200, status);
        Assert.Equal("""{"status":"ok"}""", json.GetRawText());

        // Stored in Redis by the publisher user: the edge user could not have written it.
        var stored = await _mux.GetDatabase().HashGetAsync(new RedisLayout().AppOverrides(SampleAppId), device);
        Assert.Equal("beta", stored.ToString());

        // The writing edge reads its own write at once; the other edge follows the announcement.
        Assert.Equal(BetaVersion, await OfferedVersionAsync(first, device));
        await Eventually.TrueAsync(async () => await OfferedVersionAsync(second, device) == BetaVersion, "the second edge to answer from beta", TimeSpan.FromSeconds(10));
        var (_, got) = await SendAsync(second, HttpMethod.Put, "/channel_self", Body(OldPlugin, device).ToJsonString());
        Assert.Equal("""{"channel":"beta","status":"override","allowSet":true}""", got.GetRawText());

        // Unset goes the same way.
        (status, json) = await SendAsync(first, HttpMethod.Delete, "/channel_self?" + Query(Body(OldPlugin, device)));
        Assert.Equal(200, status);
        Assert.Equal("""{"status":"ok"}""", json.GetRawText());
        Assert.False((await _mux.GetDatabase().HashGetAsync(new RedisLayout().AppOverrides(SampleAppId), device)).HasValue);
        await Eventually.TrueAsync(
            async () => Array.IndexOf(ProductionVersions, await OfferedVersionAsync(second, device)) >= 0,
            "the second edge to fall back to production",
            TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task Without_a_publisher_connection_the_main_redis_connection_writes_the_pin()
    {
        await using var first = await TestEdge.StartAsync(StatsSamples.OnRedis(_redis.ConnectionString) with { Name = "edge-c" });
        await using var second = await TestEdge.StartAsync(StatsSamples.OnRedis(As("capgo-edge", EdgePassword)) with { Name = "edge-d" });
        var device = NewDevice();

        var (status, json) = await SendAsync(first, HttpMethod.Post, "/channel_self", Body("6.3.0", device, channel: "beta").ToJsonString());
        Assert.Equal(200, status);
        Assert.Equal("""{"status":"ok"}""", json.GetRawText());
        Assert.Equal("beta", (await _mux.GetDatabase().HashGetAsync(new RedisLayout().AppOverrides(SampleAppId), device)).ToString());
        await Eventually.TrueAsync(async () => await OfferedVersionAsync(second, device) == BetaVersion, "the second edge to answer from beta", TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task Read_only_credentials_cannot_pin_and_the_device_gets_an_error_reply()
    {
        await using var edge = await TestEdge.StartAsync(StatsSamples.OnRedis(As("capgo-edge", EdgePassword)) with { Name = "edge-e" });
        var device = NewDevice();

        var (status, json) = await SendAsync(edge, HttpMethod.Post, "/channel_self", Body(OldPlugin, device, channel: "beta").ToJsonString());

        Assert.True(status == 503, $"got {status}: {json.GetRawText()}");
        Assert.Equal("cannot_override", json.GetProperty("error").GetString());
        Assert.Equal(JsonValueKind.String, json.GetProperty("message").ValueKind);
        Assert.Equal(JsonValueKind.Object, json.GetProperty("moreInfo").ValueKind);
        Assert.False((await _mux.GetDatabase().HashGetAsync(new RedisLayout().AppOverrides(SampleAppId), device)).HasValue);
        Assert.Contains(await OfferedVersionAsync(edge, device), ProductionVersions);
    }
}

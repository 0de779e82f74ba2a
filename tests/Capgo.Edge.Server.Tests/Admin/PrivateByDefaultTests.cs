using System.Net;
using System.Text.Json.Nodes;
using Capgo.Edge.Contracts.V1;
using Capgo.Edge.Redis;
using Capgo.Edge.Server.Tests.Infrastructure;
using Capgo.Edge.Server.Tests.Stats;
using Capgo.Edge.Tests.Support;
using Grpc.Core;
using static Capgo.Edge.Server.Tests.ChannelSelf.PluginApps;

namespace Capgo.Edge.Server.Tests.Admin;

/// <summary>
/// The public ports tell a stranger whether the edge is up and nothing else; metrics (every app id is a
/// label) and health with reasons live on the admin endpoint, behind its key. Real edges, real sockets,
/// a real Redis that goes away.
/// </summary>
public sealed class PrivateByDefaultTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    /// <summary>What StackExchange.Redis and the socket layer write into the exceptions of a lost Redis.</summary>
    private static readonly string[] ExceptionText =
    [
        "It was not possible to connect", "SocketException", "No connection", "UnableToConnect", "ConnectionRefused",
        "Exception", "127.0.0.1",
    ];

    [Fact]
    public async Task An_edge_that_starts_with_Redis_unreachable_answers_not_ready_publicly_and_the_reason_on_the_admin_endpoint()
    {
        var closed = RedisServer.FreePort();
        await using var edge = await TestEdge.StartAsync(new TestEdgeOptions
        {
            Redis = $"127.0.0.1:{closed},abortConnect=false,connectTimeout=300",
            Admin = true,
        });

        var details = await ReasonAsync(edge, SyncReasons.RedisUnreachable);
        Assert.Equal("not_ready", (string)details["status"]!);
        Assert.Equal(0, (int)details["checks"]!["projection"]!["data"]!["apps"]!);

        var ready = await edge.GetAsync("/healthz/ready");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.Status);
        Assert.Equal("""{"status":"not_ready"}""", ready.Text);
        AssertNoExceptionText(ready.Text, closed);

        // Not even the admin endpoint carries the exception: the log does.
        AssertNoExceptionText((await edge.AdminGetAsync("/healthz")).Text, closed);
    }

    [Fact]
    public async Task An_edge_that_lost_Redis_is_degraded_publicly_without_a_reason_and_lists_no_app_outside_the_admin_endpoint()
    {
        await using var redis = await RedisServer.StartAsync();
        await StatsSamples.PublishSamplesAsync(redis.ConnectionString);
        await using var edge = await TestEdge.StartAsync(StatsSamples.OnRedis(redis.ConnectionString) with { Admin = true });
        Assert.Equal("""{"status":"ready"}""", (await edge.GetAsync("/healthz/ready")).Text);

        await redis.KillAsync();
        var details = await ReasonAsync(edge, SyncReasons.RedisUnreachable);
        Assert.Equal("degraded", (string)details["status"]!);
        var data = details["checks"]!["projection"]!["data"]!;
        Assert.Equal(2, (int)data["apps"]!);
        Assert.Equal("redis", (string)data["source"]!);
        Assert.True((double)data["lastSyncAgeSeconds"]! >= 0, data.ToJsonString());
        AssertNoExceptionText(details.ToJsonString(), redis.Port);

        var ready = await edge.GetAsync("/healthz/ready");
        Assert.Equal(HttpStatusCode.OK, ready.Status);
        Assert.Equal("""{"status":"degraded"}""", ready.Text);
        AssertNoExceptionText(ready.Text, redis.Port);
        Assert.DoesNotContain(StatsSamples.AppId, ready.Text, StringComparison.Ordinal);

        // The app ids are in the metrics, which the public ports do not serve, whatever the Host header says.
        Assert.Equal(HttpStatusCode.NotFound, (await edge.GetAsync("/metrics")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await edge.GetAsync("/healthz")).Status);
        var spoofed = await edge.SendAsync(HttpMethod.Get, "/metrics", configure: request =>
        {
            request.Headers.Host = $"127.0.0.1:{edge.AdminPort}";
            request.Headers.Add("x-api-key", TestEdge.AdminApiKey);
        });
        Assert.Equal(HttpStatusCode.NotFound, spoofed.Status);
        Assert.DoesNotContain(StatsSamples.AppId, spoofed.Text, StringComparison.Ordinal);

        var metrics = await edge.AdminGetAsync("/metrics");
        Assert.True(metrics.Status == HttpStatusCode.OK, metrics.ToString());
        Assert.Contains($"app=\"{StatsSamples.AppId}\"", metrics.Text, StringComparison.Ordinal);
        Assert.Contains("capgo_edge_projection_degraded", metrics.Text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/metrics")]
    [InlineData("/healthz")]
    public async Task The_admin_routes_want_the_key(string path)
    {
        using var directory = new TempDirectory();
        directory.WriteAtomically(SampleAppId + ".json", Sample().ToJsonString());
        await using var edge = await TestEdge.StartAsync(TestEdgeOptions.Standalone(directory.Path) with { Admin = true, WaitForApps = [SampleAppId] });

        foreach (var key in new[] { null, "", "wrong", TestEdge.AdminApiKey.ToUpperInvariant(), TestEdge.AdminApiKey[..^1] })
        {
            var refused = await edge.AdminGetAsync(path, key);
            Assert.True(refused.Status == HttpStatusCode.Unauthorized, $"key '{key}': {refused}");
            Assert.Equal("unauthorized", (string)refused.Json()["error"]!);
            Assert.DoesNotContain(SampleAppId, refused.Text, StringComparison.Ordinal);
        }

        var answered = await edge.AdminGetAsync(path);
        Assert.True(answered.Status == HttpStatusCode.OK, answered.ToString());
        if (path == "/metrics")
        {
            Assert.Contains($"app=\"{SampleAppId}\"", answered.Text, StringComparison.Ordinal);
        }
        else
        {
            Assert.Equal("ready", (string)answered.Json()["checks"]!["projection"]!["status"]!);
        }
    }

    [Fact]
    public async Task Without_an_admin_endpoint_metrics_and_detailed_health_are_not_served()
    {
        using var directory = new TempDirectory();
        await using var edge = await StartEdgeAsync(directory, [Sample()]);

        foreach (var path in new[] { "/metrics", "/healthz" })
        {
            var reply = await edge.GetAsync(path);
            Assert.True(reply.Status == HttpStatusCode.NotFound, $"{path}: {reply}");
        }

        Assert.Equal("""{"status":"ready"}""", (await edge.GetAsync("/healthz/ready")).Text);
        Assert.Equal("""{"status":"live"}""", (await edge.GetAsync("/healthz/live")).Text);
    }

    [Fact]
    public async Task Echo_answers_on_the_public_ports_unless_turned_off()
    {
        using var directory = new TempDirectory();
        await using var on = await StartEdgeAsync(directory, [Sample()]);
        await using var off = await StartEdgeAsync(directory, [Sample()], "--Echo:Enabled=false");

        Assert.Equal("hi", (await on.Client.EchoAsync(new EchoRequest { Payload = "hi" }, deadline: DateTime.UtcNow.AddSeconds(30))).Payload);
        Assert.Equal(HttpStatusCode.OK, (await on.PostAsync("/echo", """{"payload":"hi"}"""u8.ToArray())).Status);
        Assert.Equal("""{"payload":"hi"}""", (await on.PostAsync("/echo/raw", """{"payload":"hi"}"""u8.ToArray())).Text);

        var error = await Assert.ThrowsAsync<RpcException>(async () => await off.Client.EchoAsync(new EchoRequest { Payload = "hi" }, deadline: DateTime.UtcNow.AddSeconds(30)));
        Assert.Equal(StatusCode.Unimplemented, error.StatusCode);
        var json = await off.PostAsync("/echo", """{"payload":"hi"}"""u8.ToArray());
        Assert.True(json.Status == HttpStatusCode.NotImplemented, json.ToString());
        Assert.DoesNotContain("hi", json.Text, StringComparison.Ordinal);
        var raw = await off.PostAsync("/echo/raw", """{"payload":"hi"}"""u8.ToArray());
        Assert.True(raw.Status == HttpStatusCode.NotImplemented, raw.ToString());
        Assert.DoesNotContain("hi", raw.Text, StringComparison.Ordinal);
    }

    /// <summary>The admin endpoint's <c>/healthz</c> once the projection check gives <paramref name="reason"/>.</summary>
    private static async Task<JsonObject> ReasonAsync(TestEdge edge, string reason)
    {
        JsonObject details = [];
        await Eventually.TrueAsync(
            async () =>
            {
                details = (await edge.AdminGetAsync("/healthz")).Json();
                return (string?)details["checks"]?["projection"]?["reason"] == reason;
            },
            $"the admin /healthz to give the reason {reason}",
            Timeout);
        return details;
    }

    private static void AssertNoExceptionText(string text, int redisPort)
    {
        foreach (var fragment in ExceptionText.Append($":{redisPort}"))
        {
            Assert.False(text.Contains(fragment, StringComparison.OrdinalIgnoreCase), $"'{fragment}' in {text}");
        }
    }
}

using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Capgo.Edge.Contracts.V1;
using Capgo.Edge.Server.Tests.Infrastructure;
using Capgo.Edge.Tests.Support;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.Extensions.Options;
using static Capgo.Edge.Server.Tests.ChannelSelf.PluginApps;

namespace Capgo.Edge.Server.Tests.Abuse;

/// <summary>
/// The abuse guard over real HTTP and gRPC: the per-app throttle list, and the per-network block after
/// app-id enumeration, which hides the apps a network was not served before (with the client address
/// forwarded by trusted proxies only). Every test that blocks an address has an edge of its own.
/// </summary>
public sealed class AbuseTests
{
    private const int ThrottleSeconds = 30;

    private static readonly JsonParser Parser = new(JsonParser.Settings.Default.WithIgnoreUnknownFields(true));

    private static UpdateRequest Grpc(JsonObject body) => Parser.Parse<UpdateRequest>(body.ToJsonString());

    private static Task<HttpReply> CheckAsync(TestEdge edge, JsonObject body, string? forwardedFor = null) =>
        edge.SendJsonAsync(HttpMethod.Post, "/updates", body.ToJsonString(), request =>
        {
            if (forwardedFor is not null)
            {
                request.Headers.Add("X-Forwarded-For", forwardedFor);
            }
        });

    private static Task<HttpReply> CheckAsync(TestEdge edge, string body) => edge.SendJsonAsync(HttpMethod.Post, "/updates", body);

    private static async Task<RpcException> GrpcFailsAsync(TestEdge edge, JsonObject body, string? forwardedFor = null)
    {
        var headers = forwardedFor is null ? null : new Metadata { { "x-forwarded-for", forwardedFor } };
        using var call = edge.Client.CheckForUpdateAsync(Grpc(body), headers, deadline: DateTime.UtcNow.AddSeconds(30));
        return await Assert.ThrowsAsync<RpcException>(() => call.ResponseAsync);
    }

    private static async Task<UpdateReply> GrpcAsync(TestEdge edge, JsonObject body)
    {
        using var call = edge.Client.CheckForUpdateAsync(Grpc(body), deadline: DateTime.UtcNow.AddSeconds(30));
        return await call.ResponseAsync;
    }

    private static void AssertOnPremise(HttpReply reply)
    {
        var body = PluginReply.AssertNoUpdate(reply, HttpStatusCode.TooManyRequests);
        Assert.Equal("on_premise_app", (string)body["error"]!);
        Assert.False(body.ContainsKey("kind"));
    }

    private static void AssertServed(HttpReply reply) =>
        Assert.Contains((string)PluginReply.AssertOffer(reply)["version"]!, ProductionVersions);

    private static JsonObject UnknownApp(int i) => Body(NewPlugin, NewDevice(), $"com.enumerated{i.ToString(CultureInfo.InvariantCulture)}.app");

    // ---------- throttle list ----------

    private static readonly string[] ThrottledBodies =
    [
        Body(NewPlugin, NewDevice()).ToJsonString(),
        Body(NewPlugin, NewDevice(), "COM.Demo.App").ToJsonString(),
        """{"app_id":"com.demo.app"}""",
        Body(NewPlugin, "not-a-uuid").ToJsonString(),
        Body(NewPlugin, NewDevice()).WithField("version_build", "not semver").ToJsonString(),
        Body("4.0.0", NewDevice()).WithField("platform", "windows").ToJsonString(),
        Body(NewPlugin, NewDevice(), UnknownAppId).ToJsonString(),
    ];

    [Fact]
    public async Task Throttled_app_is_429_too_many_requests_with_retry_after_before_validation()
    {
        using var directory = new TempDirectory();
        await using var edge = await StartEdgeAsync(
            directory,
            [Sample(), ChoiceApp()],
            $"--Abuse:ThrottledApps:{SampleAppId}={ThrottleSeconds}",
            $"--Abuse:ThrottledApps:{UnknownAppId}=5");

        foreach (var body in ThrottledBodies)
        {
            var reply = await CheckAsync(edge, body);

            var json = PluginReply.AssertNoUpdate(reply, HttpStatusCode.TooManyRequests);
            Assert.Equal("too_many_requests", (string)json["error"]!);
            var expected = body.Contains(UnknownAppId, StringComparison.Ordinal) ? 5 : ThrottleSeconds;
            Assert.Equal(expected.ToString(CultureInfo.InvariantCulture), reply.Header("Retry-After"));
            Assert.Equal(expected, (int)json["moreInfo"]!["retryAfterSeconds"]!);
        }

        // Other apps are served as usual, and a body with no readable app id is still a 400.
        Assert.Equal("1.4.0", (string)PluginReply.AssertOffer(await CheckAsync(edge, Body(NewPlugin, NewDevice(), ChoiceAppId)))["version"]!);
        Assert.Equal("invalid_json_parse_body", (string)PluginReply.AssertNoUpdate(await CheckAsync(edge, "{\"app_id\":"), HttpStatusCode.BadRequest)["error"]!);
    }

    [Fact]
    public async Task Throttled_app_over_grpc_is_resource_exhausted_with_trailers()
    {
        using var directory = new TempDirectory();
        await using var edge = await StartEdgeAsync(directory, [Sample(), ChoiceApp()], $"--Abuse:ThrottledApps:{SampleAppId}={ThrottleSeconds}");

        foreach (var body in new[] { Body(NewPlugin, NewDevice()), Body(NewPlugin, NewDevice()).WithField("device_id", null) })
        {
            var error = await GrpcFailsAsync(edge, body);
            Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
            Assert.Equal("too_many_requests", error.Trailers.GetValue("capgo-error"));
            Assert.Equal(ThrottleSeconds.ToString(CultureInfo.InvariantCulture), error.Trailers.GetValue("retry-after"));
        }

        var reply = await GrpcAsync(edge, Body(NewPlugin, NewDevice(), ChoiceAppId));
        Assert.Equal("1.4.0", reply.Version);
    }

    [Theory]
    [InlineData("--Abuse:ThrottledApps:com.demo.app=0")]
    [InlineData("--Abuse:ThrottledApps:com.demo.app=86401")]
    [InlineData("--Abuse:TrustedProxies:0=not-an-ip")]
    [InlineData("--Abuse:UnknownAppLimit=0")]
    [InlineData("--Abuse:TrackedClients=8")]
    public async Task Bad_abuse_settings_refuse_to_start(string setting)
    {
        using var directory = new TempDirectory();
        await using var app = TestEdge.Build($"--Projection:Directory={directory.Path}", setting);
        await Assert.ThrowsAsync<OptionsValidationException>(() => app.StartAsync());
    }

    // ---------- enumeration ----------

    private const string OtherAppId = "com.other.app";

    /// <summary>A second active app with a public channel, never asked for before the block in these tests.</summary>
    private static JsonObject OtherApp()
    {
        var app = ChoiceApp();
        app["app_id"] = OtherAppId;
        return app;
    }

    private static void AssertChoiceServed(HttpReply reply) => Assert.Equal("1.4.0", (string)PluginReply.AssertOffer(reply)["version"]!);

    [Fact]
    public async Task Distinct_unknown_ids_from_one_address_hide_the_apps_it_was_not_served_and_repeats_do_not_count()
    {
        using var directory = new TempDirectory();
        await using var edge = await StartEdgeAsync(directory, [Sample(), CancelledApp(), ChoiceApp()], "--Abuse:UnknownAppLimit=3");

        // The same unknown id many times, and a known but inactive app: not enumeration.
        var repeated = UnknownApp(0);
        for (var i = 0; i < 10; i++)
        {
            AssertOnPremise(await CheckAsync(edge, repeated));
            AssertOnPremise(await CheckAsync(edge, Body(NewPlugin, NewDevice(), CancelledAppId)));
        }

        AssertServed(await CheckAsync(edge, Body(NewPlugin, NewDevice())));

        // Two more distinct ids (three in all). Without trusted proxies the forwarded address is ignored.
        AssertOnPremise(await CheckAsync(edge, UnknownApp(1), forwardedFor: "203.0.113.1"));
        AssertServed(await CheckAsync(edge, Body(NewPlugin, NewDevice())));
        AssertOnPremise(await CheckAsync(edge, UnknownApp(2), forwardedFor: "203.0.113.2"));

        // Now a known app this address was never served answers on_premise_app, whatever it forwards, on both transports.
        AssertOnPremise(await CheckAsync(edge, Body(NewPlugin, NewDevice(), ChoiceAppId)));
        AssertOnPremise(await CheckAsync(edge, Body(NewPlugin, NewDevice(), ChoiceAppId), forwardedFor: "198.51.100.9"));
        var error = await GrpcFailsAsync(edge, Body(NewPlugin, NewDevice(), ChoiceAppId));
        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
        Assert.Equal("on_premise_app", error.Trailers.GetValue("capgo-error"));

        // The app it was served before stays served: its other devices keep updating.
        AssertServed(await CheckAsync(edge, Body(NewPlugin, NewDevice())));
        Assert.Contains((await GrpcAsync(edge, Body(NewPlugin, NewDevice()))).Version, ProductionVersions);
    }

    [Fact]
    public async Task Behind_a_trusted_proxy_each_forwarded_address_is_tracked_on_its_own()
    {
        using var directory = new TempDirectory();
        await using var edge = await StartEdgeAsync(
            directory,
            [Sample(), ChoiceApp(), OtherApp()],
            "--Abuse:UnknownAppLimit=3",
            "--Abuse:TrustedProxies:0=127.0.0.1");
        const string First = "203.0.113.7";
        const string Second = "203.0.113.8";

        // Two distinct ids from each forwarded address: six distinct in all, but neither reaches three.
        for (var i = 0; i < 2; i++)
        {
            AssertOnPremise(await CheckAsync(edge, UnknownApp(i), First));
            AssertOnPremise(await CheckAsync(edge, UnknownApp(10 + i), Second));
        }

        AssertServed(await CheckAsync(edge, Body(NewPlugin, NewDevice()), First));
        AssertServed(await CheckAsync(edge, Body(NewPlugin, NewDevice()), Second));

        // The third distinct id blocks the first address only: an app it was not served is hidden from it.
        AssertOnPremise(await CheckAsync(edge, UnknownApp(2), First));
        AssertOnPremise(await CheckAsync(edge, Body(NewPlugin, NewDevice(), ChoiceAppId), First));
        AssertServed(await CheckAsync(edge, Body(NewPlugin, NewDevice()), First));
        AssertChoiceServed(await CheckAsync(edge, Body(NewPlugin, NewDevice(), ChoiceAppId), Second));

        // The proxy itself, and other clients behind it, are not blocked.
        AssertChoiceServed(await CheckAsync(edge, Body(NewPlugin, NewDevice(), ChoiceAppId)));
        AssertChoiceServed(await CheckAsync(edge, Body(NewPlugin, NewDevice(), ChoiceAppId), "198.51.100.1"));

        // gRPC through the proxy: the forwarded address decides too.
        var error = await GrpcFailsAsync(edge, Body(NewPlugin, NewDevice(), ChoiceAppId), First);
        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
        Assert.Equal("on_premise_app", error.Trailers.GetValue("capgo-error"));

        // Then the second one.
        AssertOnPremise(await CheckAsync(edge, UnknownApp(12), Second));
        AssertOnPremise(await CheckAsync(edge, Body(NewPlugin, NewDevice(), OtherAppId), Second));
        AssertChoiceServed(await CheckAsync(edge, Body(NewPlugin, NewDevice(), ChoiceAppId), Second));
    }
}

using System.Collections.Concurrent;
using System.Net;
using Capgo.Edge.Server.Tests.Infrastructure;
using Capgo.Edge.Server.Tests.Stats;
using Capgo.Edge.Tests.Support;
using static Capgo.Edge.Server.Tests.Admission.AdmissionHttp;
using static Capgo.Edge.Server.Tests.ChannelSelf.PluginApps;

namespace Capgo.Edge.Server.Tests.Admission;

/// <summary>
/// Per-network admission over real HTTP: the token buckets of <c>/stats</c> and <c>/channel_self</c>,
/// keyed by IPv4 address or IPv6 /64 (through a trusted proxy's <c>X-Forwarded-For</c>), and update
/// checks of known apps, which no per-address limit touches.
/// </summary>
public sealed class NetworkLimitTests
{
    private static void AssertServed(HttpReply reply) =>
        Assert.Contains((string)PluginReply.AssertOffer(reply)["version"]!, ProductionVersions);

    private static Task<HttpReply> CheckAsync(TestEdge edge, string? client, string appId = SampleAppId) =>
        edge.RequestAsync(HttpMethod.Post, "/updates", Body(NewPlugin, NewDevice(), appId), client);

    private static Task<HttpReply> StatsAsync(TestEdge edge, string? client, string appId = SampleAppId) =>
        edge.RequestAsync(HttpMethod.Post, "/stats", StatsBodies.Event(NewDevice(), appId: appId), client);

    [Fact]
    public async Task Five_thousand_checks_from_one_address_for_a_known_app_all_get_200()
    {
        using var directory = new TempDirectory();
        await using var edge = await StartEdgeAsync(directory, [Sample()]);
        var statuses = new ConcurrentDictionary<HttpStatusCode, int>();

        await Parallel.ForEachAsync(Enumerable.Range(0, 5_000), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (_, _) =>
        {
            var reply = await CheckAsync(edge, client: null);
            statuses.AddOrUpdate(reply.Status, 1, static (_, n) => n + 1);
            if (reply.Status == HttpStatusCode.OK)
            {
                AssertServed(reply);
            }
        });

        Assert.Equal(5_000, statuses.GetValueOrDefault(HttpStatusCode.OK));
        Assert.Single(statuses);
    }

    [Fact]
    public async Task Stats_requests_are_limited_per_network_and_checks_from_that_network_are_not()
    {
        using var directory = new TempDirectory();
        await using var edge = await StartEdgeAsync(directory, [Sample()], [TrustLoopback, .. Bucket("StatsPerNetwork", 5)]);
        const string Busy = "203.0.113.10";

        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await StatsAsync(edge, Busy)).Status);
        }

        // Past the bucket every /stats request of that network is refused, GET included, with the bucket's wait.
        var seconds = AssertTooManyRequests(await StatsAsync(edge, Busy), "Too many requests, retry later");
        Assert.InRange(seconds, 86_000, 86_400);
        AssertTooManyRequests(await edge.RequestAsync(HttpMethod.Get, "/stats", null, Busy));

        // Another network has its own bucket; checks from the busy one are not limited.
        Assert.Equal(HttpStatusCode.OK, (await StatsAsync(edge, "203.0.113.11")).Status);
        for (var i = 0; i < 50; i++)
        {
            AssertServed(await CheckAsync(edge, Busy));
        }
    }

    [Fact]
    public async Task Channel_self_is_limited_per_network_across_its_methods()
    {
        using var directory = new TempDirectory();
        await using var edge = await StartEdgeAsync(directory, [Sample()], [TrustLoopback, .. Bucket("ChannelSelfPerNetwork", 4)]);
        const string Busy = "198.51.100.20";

        // Four requests, one per method, each for a different device: the per-device limits do not decide.
        Assert.Equal(HttpStatusCode.OK, (await edge.RequestAsync(HttpMethod.Put, "/channel_self", Body(OldPlugin, NewDevice()), Busy)).Status);
        Assert.Equal(HttpStatusCode.OK, (await edge.RequestAsync(HttpMethod.Get, "/channel_self?app_id=com.demo.app&platform=android", null, Busy)).Status);
        Assert.Equal(HttpStatusCode.OK, (await edge.RequestAsync(HttpMethod.Post, "/channel_self", Body(NewPlugin, NewDevice(), channel: "beta"), Busy)).Status);
        Assert.Equal(HttpStatusCode.OK, (await edge.RequestAsync(HttpMethod.Delete, "/channel_self?" + Query(Body(NewPlugin, NewDevice())), null, Busy)).Status);

        AssertTooManyRequests(await edge.RequestAsync(HttpMethod.Post, "/channel_self", Body(OldPlugin, NewDevice(), channel: "beta"), Busy));
        AssertTooManyRequests(await edge.RequestAsync(HttpMethod.Put, "/channel_self", Body(OldPlugin, NewDevice()), Busy));
        AssertTooManyRequests(await edge.RequestAsync(HttpMethod.Delete, "/channel_self?" + Query(Body(OldPlugin, NewDevice())), null, Busy));
        AssertTooManyRequests(await edge.RequestAsync(HttpMethod.Get, "/channel_self?app_id=com.nobody.app&platform=android", null, Busy));

        Assert.Equal(HttpStatusCode.OK, (await edge.RequestAsync(HttpMethod.Put, "/channel_self", Body(OldPlugin, NewDevice()), "198.51.100.21")).Status);
        AssertServed(await CheckAsync(edge, Busy));
    }

    [Fact]
    public async Task Ipv6_clients_of_one_64_share_a_bucket_and_other_64s_have_their_own()
    {
        using var directory = new TempDirectory();
        await using var edge = await StartEdgeAsync(directory, [Sample()], [TrustLoopback, .. Bucket("StatsPerNetwork", 3)]);

        // A privacy-address client rotates the low 64 bits on every request.
        var random = new Random(64);
        string InNetwork(string prefix) => $"{prefix}:{random.Next(0x10000):x}:{random.Next(0x10000):x}:{random.Next(0x10000):x}:{random.Next(1, 0x10000):x}";
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await StatsAsync(edge, InNetwork("2001:db8:42:7"))).Status);
        }

        for (var i = 0; i < 20; i++)
        {
            AssertTooManyRequests(await StatsAsync(edge, InNetwork("2001:db8:42:7")));
        }

        // The neighbouring /64 and an IPv4 client are other networks.
        Assert.Equal(HttpStatusCode.OK, (await StatsAsync(edge, InNetwork("2001:db8:42:8"))).Status);
        Assert.Equal(HttpStatusCode.OK, (await StatsAsync(edge, "192.0.2.1")).Status);
    }

    [Fact]
    public async Task Unknown_app_lookups_through_channel_self_and_stats_count_per_network()
    {
        using var directory = new TempDirectory();
        await using var edge = await StartEdgeAsync(directory, [Sample(), ChoiceApp()], TrustLoopback, "--Abuse:UnknownAppLimit=4");
        const string Prober = "2001:db8:77:1::1";
        const string ProberNeighbour = "2001:db8:77:1:ffff::2";
        static string List(string appId) => $"/channel_self?app_id={appId}&platform=android";

        // The network uses the sample app: served, and remembered as served.
        Assert.Equal(HttpStatusCode.OK, (await edge.RequestAsync(HttpMethod.Get, List(SampleAppId), null, Prober)).Status);

        // Four distinct unknown ids, through GET /channel_self and /stats, from two addresses of the /64.
        for (var i = 0; i < 2; i++)
        {
            var byList = await edge.RequestAsync(HttpMethod.Get, List($"com.probe{i}.app"), null, i == 0 ? Prober : ProberNeighbour);
            Assert.Equal("on_premise_app", (string)PluginReply.AssertNoUpdate(byList, HttpStatusCode.TooManyRequests)["error"]!);
            var byStats = await StatsAsync(edge, i == 0 ? ProberNeighbour : Prober, $"com.probe{10 + i}.app");
            Assert.Equal("on_premise_app", (string)PluginReply.AssertNoUpdate(byStats, HttpStatusCode.TooManyRequests)["error"]!);
        }

        // The network is blocked: an existing app it was never served looks unknown on every route...
        foreach (var reply in new[]
                 {
                     await edge.RequestAsync(HttpMethod.Get, List(ChoiceAppId), null, ProberNeighbour),
                     await StatsAsync(edge, Prober, ChoiceAppId),
                     await edge.RequestAsync(HttpMethod.Put, "/channel_self", Body(OldPlugin, NewDevice(), ChoiceAppId), Prober),
                     await CheckAsync(edge, Prober, ChoiceAppId),
                 })
        {
            Assert.Equal("on_premise_app", (string)PluginReply.AssertNoUpdate(reply, HttpStatusCode.TooManyRequests)["error"]!);
        }

        // ...while the app it uses stays served, and another network sees both apps.
        Assert.Equal(HttpStatusCode.OK, (await edge.RequestAsync(HttpMethod.Get, List(SampleAppId), null, Prober)).Status);
        AssertServed(await CheckAsync(edge, ProberNeighbour));
        Assert.Equal(HttpStatusCode.OK, (await edge.RequestAsync(HttpMethod.Get, List(ChoiceAppId), null, "2001:db8:77:2::1")).Status);
    }

    [Fact]
    public async Task One_enumerating_client_behind_a_carrier_nat_does_not_stop_the_checks_of_the_others()
    {
        using var directory = new TempDirectory();
        await using var edge = await StartEdgeAsync(directory, [Sample()], TrustLoopback);
        const string Nat = "100.64.0.1";

        // Devices behind the NAT poll the app they run.
        for (var i = 0; i < 20; i++)
        {
            AssertServed(await CheckAsync(edge, Nat));
        }

        // One client behind the same address walks 200 app ids (ten times the default limit)...
        for (var i = 0; i < 200; i++)
        {
            var reply = await CheckAsync(edge, Nat, $"com.walk{i}.app");
            Assert.Equal("on_premise_app", (string)PluginReply.AssertNoUpdate(reply, HttpStatusCode.TooManyRequests)["error"]!);
        }

        // ...and every device of the app keeps its updates, on both transports.
        for (var i = 0; i < 1_000; i++)
        {
            AssertServed(await CheckAsync(edge, Nat));
        }
    }
}

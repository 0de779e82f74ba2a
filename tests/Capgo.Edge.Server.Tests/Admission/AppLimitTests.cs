using System.Net;
using System.Text.Json.Nodes;
using Capgo.Edge.Server.Admission;
using Capgo.Edge.Server.Tests.Infrastructure;
using Capgo.Edge.Server.Tests.Stats;
using Capgo.Edge.Tests.Support;
using Microsoft.Extensions.Options;
using static Capgo.Edge.Server.Tests.Admission.AdmissionHttp;
using static Capgo.Edge.Server.Tests.ChannelSelf.PluginApps;

namespace Capgo.Edge.Server.Tests.Admission;

/// <summary>
/// Per-app admission over real HTTP on a standalone edge: the event intake of <c>/stats</c>, and the
/// pins an old plugin writes through <c>/channel_self</c> (a bucket per app and a ceiling per app).
/// </summary>
public sealed class AppLimitTests
{
    private const string Ok = """{"status":"ok"}""";

    private static Task<HttpReply> PinAsync(TestEdge edge, string device, string appId = SampleAppId) =>
        edge.RequestAsync(HttpMethod.Post, "/channel_self", Body(OldPlugin, device, appId, channel: "beta"), client: null);

    private static Task<HttpReply> UnpinAsync(TestEdge edge, string device) =>
        edge.RequestAsync(HttpMethod.Delete, "/channel_self?" + Query(Body(OldPlugin, device)), null, client: null);

    private static void AssertOk(HttpReply reply)
    {
        Assert.True(reply.Status == HttpStatusCode.OK, reply.ToString());
        Assert.Equal(Ok, reply.Text);
    }

    private static int Pins(TestEdge edge, string appId = SampleAppId) => edge.Store.Find(appId)!.Overrides.Count;

    [Fact]
    public async Task Events_past_an_apps_intake_are_refused_whole_and_other_apps_keep_theirs()
    {
        using var directory = new TempDirectory();
        await using var edge = await StartEdgeAsync(directory, [Sample(), ChoiceApp()], Bucket("EventsPerApp", 10));
        JsonArray Batch(int n, string appId = SampleAppId) =>
            new([.. Enumerable.Range(0, n).Select(_ => (JsonNode)StatsBodies.Event(NewDevice(), appId: appId))]);

        Assert.Equal(HttpStatusCode.OK, (await edge.RequestAsync(HttpMethod.Post, "/stats", Batch(8), null)).Status);
        Assert.Equal(HttpStatusCode.OK, (await edge.RequestAsync(HttpMethod.Post, "/stats", StatsBodies.Event(NewDevice()), null)).Status);

        // A batch takes a token per event: five do not fit in the one left, and none of them is taken.
        AssertTooManyRequests(await edge.RequestAsync(HttpMethod.Post, "/stats", Batch(5), null), AppAdmission.EventRateMessage);
        Assert.Equal(HttpStatusCode.OK, (await edge.RequestAsync(HttpMethod.Post, "/stats", StatsBodies.Event(NewDevice()), null)).Status);
        AssertTooManyRequests(await edge.RequestAsync(HttpMethod.Post, "/stats", StatsBodies.Event(NewDevice()), null), AppAdmission.EventRateMessage);

        Assert.Equal(HttpStatusCode.OK, (await edge.RequestAsync(HttpMethod.Post, "/stats", Batch(10, ChoiceAppId), null)).Status);
    }

    [Fact]
    public async Task Pin_writes_past_an_apps_bucket_are_refused_and_other_apps_keep_theirs()
    {
        using var directory = new TempDirectory();
        await using var edge = await StartEdgeAsync(directory, [Sample(), ChoiceApp()], Bucket("PinsPerApp", 3));
        var before = Pins(edge);

        for (var i = 0; i < 3; i++)
        {
            AssertOk(await PinAsync(edge, NewDevice()));
        }

        for (var i = 0; i < 10; i++)
        {
            AssertTooManyRequests(await PinAsync(edge, NewDevice()), AppAdmission.PinRateMessage);
        }

        Assert.Equal(before + 3, Pins(edge));

        // Reads are no writes; another app has its own bucket.
        Assert.Equal(HttpStatusCode.OK, (await edge.RequestAsync(HttpMethod.Put, "/channel_self", Body(OldPlugin, NewDevice()), null)).Status);
        AssertOk(await PinAsync(edge, NewDevice(), ChoiceAppId));
    }

    [Fact]
    public async Task An_app_at_its_pin_ceiling_gets_no_new_pin_until_one_is_removed()
    {
        using var directory = new TempDirectory();
        await using var edge = await StartEdgeAsync(directory, [Sample()], "--Admission:MaxPinsPerApp=3");

        // The sample's own pin counts: the projection does not tell who wrote a pin.
        Assert.Equal(1, Pins(edge));
        var first = NewDevice();
        AssertOk(await PinAsync(edge, first));
        AssertOk(await PinAsync(edge, NewDevice()));

        var late = NewDevice();
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(AppAdmission.PinCapRetryAfterSeconds, AssertTooManyRequests(await PinAsync(edge, i == 0 ? late : NewDevice()), AppAdmission.PinCapMessage));
        }

        Assert.Equal(3, Pins(edge));

        // A device removing its pin makes room for one more; the refused device's retry is not held by its per-device limit.
        AssertOk(await UnpinAsync(edge, first));
        AssertOk(await PinAsync(edge, late));
        AssertTooManyRequests(await PinAsync(edge, NewDevice()), AppAdmission.PinCapMessage);
        Assert.Equal(3, Pins(edge));
    }

    [Fact]
    public async Task Concurrent_pins_never_take_an_app_past_its_ceiling()
    {
        using var directory = new TempDirectory();
        await using var edge = await StartEdgeAsync(directory, [Sample()], ["--Admission:MaxPinsPerApp=50", .. Unlimited("PinsPerApp"), .. Unlimited("ChannelSelfPerNetwork")]);

        await Parallel.ForEachAsync(Enumerable.Range(0, 2_000), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (_, _) =>
        {
            var reply = await PinAsync(edge, NewDevice());
            if (reply.Status != HttpStatusCode.OK)
            {
                AssertTooManyRequests(reply, AppAdmission.PinCapMessage);
            }
        });

        Assert.Equal(50, Pins(edge));
    }

    [Theory]
    [InlineData("--Admission:MaxPinsPerApp=0")]
    [InlineData("--Admission:MaxConcurrentPluginRequests=0")]
    [InlineData("--Admission:PinsPerApp:TokenLimit=0")]
    [InlineData("--Admission:EventsPerApp:TokensPerPeriod=0")]
    [InlineData("--Admission:StatsPerNetwork:ReplenishmentPeriod=00:00:00")]
    [InlineData("--Admission:ChannelSelfPerNetwork:ReplenishmentPeriod=2.00:00:00")]
    [InlineData("--Abuse:Ipv4PrefixLength=33")]
    [InlineData("--Abuse:Ipv6PrefixLength=16")]
    public async Task Bad_admission_settings_refuse_to_start(string setting)
    {
        using var directory = new TempDirectory();
        await using var app = TestEdge.Build($"--Projection:Directory={directory.Path}", setting);
        await Assert.ThrowsAsync<OptionsValidationException>(() => app.StartAsync());
    }
}

using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Capgo.Edge.Contracts.V1;
using Capgo.Edge.Server.Tests.Infrastructure;
using Capgo.Edge.Tests.Support;
using Google.Protobuf;
using Grpc.Core;
using static Capgo.Edge.Server.Tests.ChannelSelf.PluginApps;

namespace Capgo.Edge.Server.Tests.Observability;

/// <summary>
/// OpenTelemetry listens to every meter named <c>Capgo.Edge</c> in the process, so counts are only
/// exact while no other edge answers checks: this collection runs alone.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class MetricsRunAlone
{
    public const string Name = "metrics (runs alone)";
}

/// <summary><c>/metrics</c> on the admin endpoint after checks of each kind over both transports.</summary>
[Collection(MetricsRunAlone.Name)]
public sealed class MetricsTests
{
    private static readonly JsonParser Parser = new(JsonParser.Settings.Default.WithIgnoreUnknownFields(true));

    private static UpdateRequest Grpc(JsonObject body) => Parser.Parse<UpdateRequest>(body.ToJsonString());

    /// <summary>The checks to make: a body, and the (kind, code) the edge must count it under.</summary>
    private static (JsonObject Body, string Kind, string Code)[] Checks() =>
    [
        (Body(NewPlugin, NewDevice()), "update", ""),
        (Body(NewPlugin, NewDevice(), defaultChannel: "beta").WithField("version_name", BetaVersion), "up_to_date", "no_new_version_available"),
        (Body(NewPlugin, PinnedDevice), "blocked", "disable_prod_build"),
        (Body(NewPlugin, NewDevice(), defaultChannel: "nightly"), "failed", "no_channel"),
        (Body(NewPlugin, NewDevice(), UnknownAppId), "rejected", "on_premise_app"),
    ];

    private static async Task<string> ScrapeAsync(TestEdge edge)
    {
        var reply = await edge.AdminGetAsync("/metrics");
        Assert.True(reply.Status == HttpStatusCode.OK, reply.ToString());
        return reply.Text;
    }

    [Fact]
    public async Task Durations_are_sampled_one_check_in_N_while_every_check_is_counted()
    {
        const int Checks = 400;
        using var directory = new TempDirectory();
        directory.WriteAtomically(SampleAppId + ".json", Sample().ToJsonString());
        await using var edge = await TestEdge.StartAsync(
            TestEdgeOptions.Standalone(directory.Path, "--Metrics:CheckDurationSampleEvery=4") with { Admin = true, WaitForApps = [SampleAppId] });

        var body = Grpc(Body(NewPlugin, NewDevice()));
        for (var i = 0; i < Checks; i++)
        {
            using var call = edge.Client.CheckForUpdateAsync(body, deadline: DateTime.UtcNow.AddSeconds(30));
            await call.ResponseAsync;
        }

        double counted = 0, sampled = 0;
        await Eventually.TrueAsync(
            async () =>
            {
                var samples = PrometheusText.Parse(await ScrapeAsync(edge)).Where(s => s.Label("transport") == "grpc").ToList();
                counted = samples.Where(s => s.Name == "capgo_edge_checks_total").Sum(s => s.Value);
                sampled = samples.SingleOrDefault(s => s.Name == "capgo_edge_check_duration_seconds_count")?.Value ?? 0;
                return counted == Checks;
            },
            "capgo_edge_checks_total to count every check",
            TimeSpan.FromSeconds(10));

        // 1 in 4 of 400: 100 expected; outside 40..200 has a probability below 1e-12.
        Assert.InRange(sampled, 40, 200);
    }

    [Fact]
    public async Task Checks_are_counted_by_transport_kind_and_code_with_durations_and_projection_gauges()
    {
        using var directory = new TempDirectory();
        directory.WriteAtomically(SampleAppId + ".json", Sample().ToJsonString());
        await using var edge = await TestEdge.StartAsync(
            TestEdgeOptions.Standalone(directory.Path, "--Metrics:CheckDurationSampleEvery=1") with { Admin = true, WaitForApps = [SampleAppId] });

        var expected = new Dictionary<(string Transport, string Kind, string Code), int>();
        void Expect(string transport, string kind, string code) =>
            expected[(transport, kind, code)] = expected.GetValueOrDefault((transport, kind, code)) + 1;

        long? generation = null;
        var checks = Checks();
        for (var round = 0; round < 2; round++)
        {
            // JSON: every kind twice, offers three times; gRPC: every kind once, no_channel twice.
            foreach (var (body, kind, code) in checks)
            {
                var reply = await edge.PostUpdatesAsync(body);
                Assert.True(reply.Status is HttpStatusCode.OK or HttpStatusCode.TooManyRequests, reply.ToString());
                generation ??= reply.Generation;
                Expect("json", kind, code);
            }
        }

        Assert.NotNull(await edge.PostUpdatesAsync(checks[0].Body));
        Expect("json", "update", "");

        foreach (var (body, kind, code) in checks.Append(checks[3]))
        {
            using var call = edge.Client.CheckForUpdateAsync(Grpc(body), deadline: DateTime.UtcNow.AddSeconds(30));
            if (code == "on_premise_app")
            {
                var error = await Assert.ThrowsAsync<RpcException>(() => call.ResponseAsync);
                Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
            }
            else
            {
                await call.ResponseAsync;
            }

            Expect("grpc", kind, code);
        }

        // Rejected before the decision, over gRPC.
        using (var bad = edge.Client.CheckForUpdateAsync(Grpc(Body(NewPlugin, NewDevice()).WithField("device_id", null)), deadline: DateTime.UtcNow.AddSeconds(30)))
        {
            Assert.Equal(StatusCode.InvalidArgument, (await Assert.ThrowsAsync<RpcException>(() => bad.ResponseAsync)).StatusCode);
            Expect("grpc", "rejected", "missing_device_id");
        }

        Assert.NotNull(generation);

        // The exporter caches a scrape briefly: poll until the counts are in.
        List<PrometheusSample> samples = [];
        string text = "";
        Dictionary<(string, string, string), int> counted = [];
        await Eventually.TrueAsync(
            async () =>
            {
                text = await ScrapeAsync(edge);
                samples = PrometheusText.Parse(text);
                counted = samples
                    .Where(s => s.Name == "capgo_edge_checks_total")
                    .ToDictionary(s => (s.Label("transport"), s.Label("kind"), s.Label("code")), s => (int)s.Value);
                return counted.Count == expected.Count && expected.All(e => counted.GetValueOrDefault(e.Key) == e.Value);
            },
            "capgo_edge_checks_total to show every check",
            TimeSpan.FromSeconds(10));

        // Durations: one observation per check and transport, cumulative buckets ending at +Inf.
        foreach (var transport in new[] { "json", "grpc" })
        {
            var total = expected.Where(e => e.Key.Transport == transport).Sum(e => e.Value);
            var series = samples.Where(s => s.Label("transport") == transport).ToList();
            var count = Assert.Single(series, s => s.Name == "capgo_edge_check_duration_seconds_count");
            Assert.Equal(total, count.Value);
            var sum = Assert.Single(series, s => s.Name == "capgo_edge_check_duration_seconds_sum");
            Assert.True(sum.Value > 0 && sum.Value < 10, sum.ToString());
            var buckets = series.Where(s => s.Name == "capgo_edge_check_duration_seconds_bucket").ToList();
            Assert.Equal(12, buckets.Count);
            Assert.Equal(0.000005, double.Parse(buckets[0].Label("le"), NumberStyles.Float, CultureInfo.InvariantCulture));
            Assert.Equal(0.1, double.Parse(buckets[^2].Label("le"), NumberStyles.Float, CultureInfo.InvariantCulture));
            Assert.Equal("+Inf", buckets[^1].Label("le"));
            Assert.Equal(total, buckets[^1].Value);
            for (var i = 1; i < buckets.Count; i++)
            {
                Assert.True(buckets[i].Value >= buckets[i - 1].Value, $"buckets must be cumulative: {buckets[i - 1]} then {buckets[i]}");
            }
        }

        // Projection gauges.
        var gen = Assert.Single(samples, s => s.Name == "capgo_edge_projection_generation");
        Assert.Equal(SampleAppId, gen.Label("app"));
        Assert.Equal(generation!.Value, (long)gen.Value);
        Assert.Matches($@"capgo_edge_projection_generation\{{[^}}]*\}} {generation.Value.ToString(CultureInfo.InvariantCulture)}\b", text);
        Assert.Equal(1, Assert.Single(samples, s => s.Name == "capgo_edge_projection_apps").Value);
        Assert.Equal(1, Assert.Single(samples, s => s.Name == "capgo_edge_projection_ready").Value);
        Assert.Equal(0, Assert.Single(samples, s => s.Name == "capgo_edge_projection_degraded").Value);
        var age = Assert.Single(samples, s => s.Name.StartsWith("capgo_edge_projection_age", StringComparison.Ordinal));
        Assert.Equal(SampleAppId, age.Label("app"));
        Assert.True(age.Value >= 0, age.ToString());
    }

    [Fact]
    public async Task Gauges_are_exported_before_the_first_check_and_follow_the_projection()
    {
        using var directory = new TempDirectory();
        await using var edge = await TestEdge.StartAsync(TestEdgeOptions.Standalone(directory.Path) with { Admin = true });

        List<PrometheusSample> samples = [];
        await Eventually.TrueAsync(
            async () =>
            {
                samples = PrometheusText.Parse(await ScrapeAsync(edge));
                return samples.Any(s => s.Name == "capgo_edge_projection_ready");
            },
            "the gauges to be exported before any check",
            TimeSpan.FromSeconds(5));
        Assert.Equal(0, Assert.Single(samples, s => s.Name == "capgo_edge_projection_ready").Value);
        Assert.Equal(0, Assert.Single(samples, s => s.Name == "capgo_edge_projection_apps").Value);
        Assert.DoesNotContain(samples, s => s.Name == "capgo_edge_checks_total");

        directory.WriteAtomically(SampleAppId + ".json", Sample().ToJsonString());
        directory.WriteAtomically(ChoiceAppId + ".json", ChoiceApp().ToJsonString());
        await Eventually.TrueAsync(
            async () =>
            {
                samples = PrometheusText.Parse(await ScrapeAsync(edge));
                return samples.Any(s => s.Name == "capgo_edge_projection_ready" && s.Value == 1) &&
                       samples.Any(s => s.Name == "capgo_edge_projection_apps" && s.Value == 2);
            },
            "the gauges to show the loaded projection",
            TimeSpan.FromSeconds(10));
        var generations = samples.Where(s => s.Name == "capgo_edge_projection_generation").ToDictionary(s => s.Label("app"), s => (long)s.Value);
        Assert.Equal(new[] { ChoiceAppId, SampleAppId }, generations.Keys.Order(StringComparer.Ordinal));
        var reply = await edge.PostUpdatesAsync(Body(NewPlugin, NewDevice(), ChoiceAppId));
        Assert.Equal(reply.Generation, generations[ChoiceAppId]);
    }
}

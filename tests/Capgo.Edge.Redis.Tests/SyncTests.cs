using System.Diagnostics;
using Capgo.Edge.ControlPlane;
using Capgo.Edge.Tests.Support;
using StackExchange.Redis;
using Xunit.Abstractions;

namespace Capgo.Edge.Redis.Tests;

/// <summary>Publisher → real Redis → in-process edges, including faults (docs/sync.md).</summary>
[Collection(SharedRedis.Name)]
public sealed class SyncTests(RedisFixture redis, ITestOutputHelper output)
{
    private readonly RedisLayout _layout = redis.NewLayout();

    private ProjectionPublisher Publisher => redis.Publisher(_layout);

    private Task<TestEdge> StartEdgeAsync(string name, string? connection = null, bool waitReady = true) =>
        TestEdge.StartAsync(new TestEdgeOptions { Redis = connection ?? redis.ConnectionString, Name = name, Prefix = _layout.Prefix, WaitReady = waitReady });

    private TcpProxy NewProxy() => new(redis.Server.Port);

    [Fact]
    public async Task Publish_and_overrides_are_served_by_an_edge()
    {
        await using var edge = await StartEdgeAsync("edge-1");
        var gen = await Publisher.PublishAsync(Documents.Sample());
        await Eventually.TrueAsync(() => edge.GenerationOf(Documents.AppId) == gen, "the first publish");

        var (status, body) = await edge.CheckAsync(Documents.AndroidCheck());
        Assert.Equal(200, status);
        Assert.Equal("1.6.0-beta.1", body.GetProperty("version").GetString());

        var gen2 = await Publisher.PublishAsync(Documents.Sample(betaBundle: "1.5.0"));
        Assert.True(gen2 > gen);
        await Eventually.TrueAsync(() => edge.GenerationOf(Documents.AppId) == gen2, "the second publish");
        (_, body) = await edge.CheckAsync(Documents.AndroidCheck());
        Assert.Equal("1.5.0", body.GetProperty("version").GetString());

        // Pin the device to development: its policy refuses prod builds.
        var ogen = await Publisher.SetOverrideAsync(Documents.AppId, Documents.AndroidDevice.ToUpperInvariant(), "development");
        await Eventually.TrueAsync(() => edge.Store.Find(Documents.AppId)!.Overrides.Generation == ogen, "the override");
        (_, body) = await edge.CheckAsync(Documents.AndroidCheck());
        Assert.Equal("disable_prod_build", body.GetProperty("error").GetString());
        Assert.Equal("1.6.0-dev.3", body.GetProperty("version").GetString());
        Assert.Equal(gen2, edge.GenerationOf(Documents.AppId));

        var ogen2 = await Publisher.RemoveOverrideAsync(Documents.AppId, Documents.AndroidDevice);
        await Eventually.TrueAsync(() => edge.Store.Find(Documents.AppId)!.Overrides.Generation == ogen2, "the override removal");
        (_, body) = await edge.CheckAsync(Documents.AndroidCheck());
        Assert.Equal("1.5.0", body.GetProperty("version").GetString());

        // A publish without device_overrides keeps the stored ones.
        await Publisher.SetOverrideAsync(Documents.AppId, Documents.AndroidDevice, "development");
        var gen3 = await Publisher.PublishAsync(Documents.Sample(betaBundle: "1.4.0", withOverrides: false));
        await Eventually.TrueAsync(() => edge.GenerationOf(Documents.AppId) == gen3, "the third publish");
        (_, body) = await edge.CheckAsync(Documents.AndroidCheck());
        Assert.Equal("disable_prod_build", body.GetProperty("error").GetString());
    }

    [Fact]
    public async Task Three_edges_serve_every_publish_and_the_latency_is_reported()
    {
        await using var e1 = await StartEdgeAsync("edge-a");
        await using var e2 = await StartEdgeAsync("edge-b");
        await using var e3 = await StartEdgeAsync("edge-c");
        TestEdge[] edges = [e1, e2, e3];

        const int publishes = 200;
        var latencies = new List<double>(publishes);
        string[] bundles = ["1.4.0", "1.5.0", "1.6.0-beta.1"];
        var documents = bundles.Select(b => Documents.Sample(betaBundle: b)).ToArray();
        for (var i = 0; i < publishes; i++)
        {
            var started = Stopwatch.GetTimestamp();
            var gen = await Publisher.PublishAsync(documents[i % documents.Length]);
            await Eventually.TrueAsync(() => edges.All(e => e.GenerationOf(Documents.AppId) >= gen), $"publish {i} on all edges");
            latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }

        // Every edge answers the last publish.
        foreach (var edge in edges)
        {
            var (_, body) = await edge.CheckAsync(Documents.AndroidCheck());
            Assert.Equal(bundles[(publishes - 1) % bundles.Length], body.GetProperty("version").GetString());
        }

        latencies.Sort();
        output.WriteLine($"publish-to-served across 3 edges over {publishes} publishes: " +
            $"p50 {Percentile(latencies, 0.50):F2} ms, p99 {Percentile(latencies, 0.99):F2} ms, max {latencies[^1]:F2} ms");
    }

    [Fact]
    public async Task An_edge_that_missed_announcements_converges_after_reconnecting()
    {
        await using var proxy = NewProxy();
        await using var steady = await StartEdgeAsync("steady");
        await using var cut = await StartEdgeAsync("cut", $"127.0.0.1:{proxy.Port},abortConnect=false,connectTimeout=1000");
        var gen = await Publisher.PublishAsync(Documents.Sample());
        await Eventually.TrueAsync(() => cut.GenerationOf(Documents.AppId) == gen, "the first publish on the cut edge");

        proxy.Cut();
        var gen2 = await Publisher.PublishAsync(Documents.Sample(betaBundle: "1.5.0"));
        var ogen = await Publisher.SetOverrideAsync(Documents.AppId, "11111111-2222-4333-8444-555555555555", "beta");
        await Eventually.TrueAsync(() => steady.GenerationOf(Documents.AppId) == gen2, "the steady edge");
        Assert.Equal(gen, cut.GenerationOf(Documents.AppId));

        // Still answering from the last projection it holds.
        var (status, body) = await cut.CheckAsync(Documents.AndroidCheck());
        Assert.Equal(200, status);
        Assert.Equal("1.6.0-beta.1", body.GetProperty("version").GetString());

        proxy.Restore();
        await Eventually.TrueAsync(
            () => cut.GenerationOf(Documents.AppId) == gen2 && cut.Store.Find(Documents.AppId)!.Overrides.Generation == ogen,
            "the cut edge to converge");
        Assert.True(cut.Store.Find(Documents.AppId)!.Overrides.TryGet("11111111-2222-4333-8444-555555555555", out var channel));
        Assert.Equal("beta", channel);
    }

    [Fact]
    public async Task Redis_killed_during_checks_costs_no_failed_check_and_edges_resync_after()
    {
        await using var edge = await StartEdgeAsync("survivor");
        var gen = await Publisher.PublishAsync(Documents.Sample());
        await Eventually.TrueAsync(() => edge.GenerationOf(Documents.AppId) == gen, "the publish");

        var failures = 0;
        var total = 0;
        using var stop = new CancellationTokenSource();
        var load = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                var (status, body) = await edge.CheckAsync(Documents.AndroidCheck());
                Interlocked.Increment(ref total);
                if (status != 200 || !body.TryGetProperty("version", out _) || body.TryGetProperty("error", out _))
                {
                    Interlocked.Increment(ref failures);
                }
            }
        });

        await Task.Delay(300);
        await redis.Server.KillAsync();
        await Task.Delay(1500);
        using (var ready = await edge.Http.GetAsync("/healthz/ready"))
        {
            Assert.Equal(200, (int)ready.StatusCode);
            Assert.Contains("degraded", await ready.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        // Redis returns empty: the app is still served (only a delete removes it)...
        await redis.RestartAsync();
        await Task.Delay(1500);
        Assert.Equal(gen, edge.GenerationOf(Documents.AppId));

        // ...and the next publish is not ignored: generations did not go backwards.
        var gen2 = await Publisher.PublishAsync(Documents.Sample(betaBundle: "1.5.0"));
        Assert.True(gen2 > gen);
        await Eventually.TrueAsync(() => edge.GenerationOf(Documents.AppId) == gen2, "the publish after the restart");
        await stop.CancelAsync();
        await load;

        output.WriteLine($"checks during the fault: {failures} failed of {total}");
        Assert.True(total > 50, $"the load loop ran only {total} checks");
        Assert.Equal(0, failures);
        using var after = await edge.Http.GetAsync("/healthz/ready");
        Assert.DoesNotContain("degraded", await after.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_edge_started_while_Redis_is_down_serves_nothing_and_says_why()
    {
        await redis.Server.KillAsync();
        await using var edge = await TestEdge.StartAsync(new TestEdgeOptions
        {
            Redis = $"127.0.0.1:{redis.Server.Port},abortConnect=false,connectTimeout=500",
            Name = "early",
            Prefix = _layout.Prefix,
            Admin = true,
        });
        await Task.Delay(1000);
        using (var ready = await edge.Http.GetAsync("/healthz/ready"))
        {
            Assert.Equal(503, (int)ready.StatusCode);
        }

        // The reason is on the admin endpoint (redis_connecting, then redis_unreachable).
        using (var details = await edge.Admin!.GetAsync("/healthz"))
        {
            Assert.Equal(503, (int)details.StatusCode);
            Assert.Contains("\"reason\":\"redis_", await details.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        var (status, body) = await edge.CheckAsync(Documents.AndroidCheck());
        Assert.Equal(503, status);
        Assert.Equal("not_ready", body.GetProperty("error").GetString());

        await redis.RestartAsync();
        var gen = await Publisher.PublishAsync(Documents.Sample());
        // An announcement may install the app before the first reconcile pass marks the projection loaded.
        await Eventually.TrueAsync(() => edge.GenerationOf(Documents.AppId) == gen && edge.Store.IsLoaded, "the edge to load once Redis is up");
        (status, _) = await edge.CheckAsync(Documents.AndroidCheck());
        Assert.Equal(200, status);
    }

    [Fact]
    public async Task Wait_returns_when_all_live_edges_serve_and_names_a_frozen_edge()
    {
        await using var proxy = NewProxy();
        await using var a = await StartEdgeAsync("edge-live");
        await using var b = await StartEdgeAsync("edge-frozen", $"127.0.0.1:{proxy.Port},abortConnect=false,connectTimeout=1000");
        await Eventually.TrueAsync(async () => (await Publisher.LiveEdgesAsync()).Count == 2, "two heartbeats");

        var gen = await Publisher.PublishAsync(Documents.Sample());
        var ok = await Publisher.WaitForEdgesAsync(Documents.AppId, gen, overrides: false, TimeSpan.FromSeconds(10));
        Assert.True(ok.AllServing);
        Assert.Equal(["edge-frozen", "edge-live"], ok.Serving.Order());

        proxy.Cut();
        var gen2 = await Publisher.PublishAsync(Documents.Sample(betaBundle: "1.5.0"));
        var lag = await Publisher.WaitForEdgesAsync(Documents.AppId, gen2, overrides: false, TimeSpan.FromSeconds(1));
        Assert.False(lag.AllServing);
        Assert.Equal(["edge-frozen"], lag.Lagging);
        Assert.Equal(["edge-live"], lag.Serving);

        var ogen = await Publisher.SetOverrideAsync(Documents.AppId, Documents.AndroidDevice, "development");
        var overrideLag = await Publisher.WaitForEdgesAsync(Documents.AppId, ogen, overrides: true, TimeSpan.FromSeconds(1));
        Assert.Equal(["edge-frozen"], overrideLag.Lagging);
    }

    [Fact]
    public async Task Bad_documents_and_unknown_targets_are_refused_with_nothing_written()
    {
        var gen = await Publisher.PublishAsync(Documents.Sample());
        var db = redis.Mux.GetDatabase();
        var layout = _layout;
        var before = await db.HashGetAllAsync(layout.App(Documents.AppId));

        var bad = System.Text.Encoding.UTF8.GetBytes(
            System.Text.Encoding.UTF8.GetString(Documents.Sample()).Replace("\"bundle\":\"1.4.0\"", "\"bundle\":\"9.9.9\"", StringComparison.Ordinal));
        var refused = await Assert.ThrowsAsync<PublishException>(() => Publisher.PublishAsync(bad));
        Assert.Contains("channels[0].bundle", refused.Message, StringComparison.Ordinal);
        Assert.Contains("9.9.9", refused.Message, StringComparison.Ordinal);

        var unknownApp = await Assert.ThrowsAsync<PublishException>(() => Publisher.SetOverrideAsync("com.nope.app", Documents.AndroidDevice, "beta"));
        Assert.Contains("com.nope.app is not published", unknownApp.Message, StringComparison.Ordinal);
        var unknownChannel = await Assert.ThrowsAsync<PublishException>(() => Publisher.SetOverrideAsync(Documents.AppId, Documents.AndroidDevice, "nightly"));
        Assert.Contains("no channel nightly", unknownChannel.Message, StringComparison.Ordinal);
        var badDevice = await Assert.ThrowsAsync<PublishException>(() => Publisher.SetOverrideAsync(Documents.AppId, "not-a-uuid", "beta"));
        Assert.Contains("not a UUID", badDevice.Message, StringComparison.Ordinal);
        var noPin = await Assert.ThrowsAsync<PublishException>(() => Publisher.RemoveOverrideAsync(Documents.AppId, "11111111-2222-4333-8444-555555555555"));
        Assert.Contains("has no override", noPin.Message, StringComparison.Ordinal);

        var after = await db.HashGetAllAsync(layout.App(Documents.AppId));
        Assert.Equal(before.OrderBy(e => e.Name.ToString()).Select(e => e.ToString()), after.OrderBy(e => e.Name.ToString()).Select(e => e.ToString()));
        Assert.Equal(gen, long.Parse((string)(await db.StringGetAsync(layout.Generation))!, System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task Delete_stops_serving_even_for_an_edge_that_missed_the_announcement()
    {
        await using var proxy = NewProxy();
        await using var edge = await StartEdgeAsync("deaf", $"127.0.0.1:{proxy.Port},abortConnect=false,connectTimeout=1000");
        var gen = await Publisher.PublishAsync(Documents.Sample());
        await Eventually.TrueAsync(() => edge.GenerationOf(Documents.AppId) == gen, "the publish");

        proxy.Cut();
        await Publisher.DeleteAsync(Documents.AppId);
        proxy.Restore();
        await Eventually.TrueAsync(() => edge.Store.Find(Documents.AppId) is null, "the tombstone to apply");
        var (status, body) = await edge.CheckAsync(Documents.AndroidCheck());
        Assert.Equal(429, status);
        Assert.Equal("on_premise_app", body.GetProperty("error").GetString());
    }

    private static double Percentile(List<double> sorted, double p) =>
        sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];
}

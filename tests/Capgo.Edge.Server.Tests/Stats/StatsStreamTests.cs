using System.Text.Json;
using System.Text.Json.Nodes;
using Capgo.Edge.Server.Events;
using StackExchange.Redis;
using static Capgo.Edge.Server.Tests.Stats.StatsBodies;
using Capgo.Edge.Tests.Support;

namespace Capgo.Edge.Server.Tests.Stats;

/// <summary>Accepted stats events reach the real Redis stream, in order, in the documented format (docs/events.md).</summary>
public sealed class StatsStreamTests(StatsFixture fixture) : IClassFixture<StatsFixture>
{
    private TestEdge Edge => fixture.Edge;

    [Fact]
    public async Task Stats_events_arrive_in_the_stream_in_order_with_the_documented_fields()
    {
        var device = NewDevice().ToUpperInvariant();
        var before = Edge.Events.Written;
        var actions = new[] { "download_0", "download_10", "download_50", "download_90", "download_complete", "set" };
        var (status, _, _) = await Edge.PostAsync(Batch([.. actions[..3].Select(a => Event(device, a))]));
        Assert.Equal(200, status);
        foreach (var action in actions[3..])
        {
            var body = Event(device, action);
            if (action == "set")
            {
                body.With("app_id", "COM.DEMO.APP")
                    .With("version_build", "1.0")
                    .With("version_name", "builtin")
                    .With("install_source", "  App_Store  ")
                    .With("custom_id", "user-42")
                    .With("key_id", "key-1")
                    .With("channel", "beta")
                    .With("metadata", new JsonObject { ["screen"] = "home", ["quote"] = "a \"b\" é" })
                    .Without("is_prod")
                    .Without("is_emulator")
                    .Without("old_version_name")
                    .Without("defaultChannel");
            }

            (status, _, _) = await Edge.PostAsync(body);
            Assert.Equal(200, status);
        }

        var entries = await WaitForEntriesAsync(device, actions.Length);
        Assert.Equal(actions, entries.Select(static e => e["action"]));
        Assert.True(Edge.Events.Written >= before + actions.Length);

        var seqs = entries.Select(static e => long.Parse(e["seq"], System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(seqs.Order(), seqs);
        Assert.Equal(seqs.Count, seqs.Distinct().Count());

        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        foreach (var e in entries)
        {
            Assert.Equal("2", e["v"]);
            Assert.Equal("stats", e["kind"]);
            Assert.Equal("stats-edge", e["edge"]);
            Assert.InRange(long.Parse(e["ts"], System.Globalization.CultureInfo.InvariantCulture), now - 60_000, now + 1000);
            Assert.Equal(StatsSamples.AppId, e["app_id"]);
            Assert.Equal(device.ToLowerInvariant(), e["device_id"]);
            Assert.Equal("android", e["platform"]);
            Assert.Equal("14", e["version_os"]);
            Assert.Equal("120", e["version_code"]);
            Assert.Equal("8.51.23", e["plugin_version"]);
            Assert.False(e.ContainsKey("outcome"));
            Assert.False(e.ContainsKey("version"));
        }

        var first = entries[0];
        Assert.Equal("1.4.0", first["version_name"]);
        Assert.Equal("1.3.1", first["old_version_name"]);
        Assert.Equal("1.2.0", first["version_build"]);
        Assert.Equal("false", first["is_emulator"]);
        Assert.Equal("true", first["is_prod"]);
        Assert.Equal("com.android.vending", first["install_source"]);
        Assert.Equal("beta", first["default_channel"]);
        Assert.False(first.ContainsKey("custom_id"));
        Assert.False(first.ContainsKey("metadata"));
        Assert.False(first.ContainsKey("key_id"));

        var last = entries[^1];
        Assert.Equal("1.0.0", last["version_build"]);
        Assert.Equal("1.0.0", last["version_name"]);
        Assert.Equal("app_store", last["install_source"]);
        Assert.Equal("user-42", last["custom_id"]);
        Assert.Equal("key-1", last["key_id"]);
        Assert.Equal("beta", last["channel"]);
        Assert.Equal("false", last["is_emulator"]);
        Assert.Equal("true", last["is_prod"]);
        Assert.False(last.ContainsKey("old_version_name"));
        Assert.False(last.ContainsKey("default_channel"));
        var metadata = JsonDocument.Parse(last["metadata"]).RootElement;
        Assert.Equal("home", metadata.GetProperty("screen").GetString());
        Assert.Equal("a \"b\" é", metadata.GetProperty("quote").GetString());
    }

    [Fact]
    public async Task Refused_events_never_reach_the_stream()
    {
        var device = NewDevice();
        var (status, _, json) = await Edge.PostAsync(Batch(
            Event(device, "ping"),
            Event(device, "bogus"),
            Event(device, "download_fail").With("key_id", new string('k', 30)),
            Event(device, "app_launch_ready")));
        Assert.Equal(200, status);
        Assert.Equal(["ok", "error", "error", "ok"], json.GetProperty("results").EnumerateArray().Select(static r => r.GetProperty("status").GetString()));
        await Edge.PostAsync(Event(device, "bogus"));
        await Edge.PostAsync(Event(device, "ping", appId: "com.unknown.app"));
        await Edge.PostAsync(Batch(Event(device, "ping"), Event(device, "ping", appId: "com.other.app")));
        await Edge.PostAsync(Event(device, "reset"));

        var entries = await WaitForEntriesAsync(device, 3);
        Assert.Equal(["ping", "app_launch_ready", "reset"], entries.Select(static e => e["action"]));
    }

    [Fact]
    public async Task The_stream_is_trimmed_and_readable_with_a_consumer_group()
    {
        var db = fixture.Mux.GetDatabase();
        var device = NewDevice();
        await db.StreamCreateConsumerGroupAsync(StatsFixture.StreamKey, "control-plane", StreamPosition.NewMessages, createStream: true);
        await Edge.PostAsync(Batch(Event(device, "ping"), Event(device, "set")));
        await WaitForEntriesAsync(device, 2);

        var read = await db.StreamReadGroupAsync(StatsFixture.StreamKey, "control-plane", "worker-1", StreamPosition.NewMessages, count: 1000);
        var mine = read.Where(e => e["device_id"] == device).ToList();
        Assert.Equal(["ping", "set"], mine.Select(static e => e["action"].ToString()));
        await db.StreamAcknowledgeAsync(StatsFixture.StreamKey, "control-plane", [.. mine.Select(static e => e.Id)]);
        var info = await db.StreamInfoAsync(StatsFixture.StreamKey);
        Assert.True(info.Length > 0);
    }

    private async Task<List<Dictionary<string, string>>> WaitForEntriesAsync(string device, int count)
    {
        List<Dictionary<string, string>> entries = [];
        await Eventually.TrueAsync(
            async () => (entries = await fixture.EntriesOfAsync(device)).Count >= count,
            $"{count} stream entries for the device");
        await Task.Delay(200);
        entries = await fixture.EntriesOfAsync(device);
        Assert.Equal(count, entries.Count);
        return entries;
    }
}

/// <summary>Faults: Redis down, queue full, no control plane, shutdown flush.</summary>
public sealed class StatsDeliveryTests
{
    [Fact]
    public async Task With_Redis_down_stats_still_answer_and_only_what_overflows_the_queue_is_dropped()
    {
        await using var redis = await RedisServer.StartAsync();
        await StatsSamples.PublishSamplesAsync(redis.ConnectionString);
        const int Capacity = 5;
        const int BatchSize = 2;
        await using var edge = await TestEdge.StartAsync(StatsSamples.OnRedis(
            redis.ConnectionString,
            $"--Events:QueueCapacity={Capacity}",
            $"--Events:BatchSize={BatchSize}",
            "--Events:RetryDelay=00:00:00.050",
            "--Events:MaxRetryDelay=00:00:00.500",
            "--Events:WriteTimeout=00:00:00.500"));
        var events = edge.Events;

        var device = NewDevice();
        Assert.Equal(200, (await edge.PostAsync(Event(device, "ping"))).Status);
        await Eventually.TrueAsync(() => events.Written >= 1, "the first event to be written");

        await redis.KillAsync();
        var (enqueued, written) = (events.Enqueued, events.Written);
        const int Posted = 60;
        var started = DateTime.UtcNow;
        for (var i = 0; i < Posted; i++)
        {
            var (status, text, _) = await edge.PostAsync(Event(device, "download_" + (i % 10 * 10)));
            Assert.True(status == 200, $"{status} {text}");
        }

        // The answers never waited on Redis.
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(10), "stats calls were slowed down by Redis being down");

        // The queue and the batch the writer holds keep what they can; the rest is dropped as queue_full.
        var accepted = events.Enqueued - enqueued;
        Assert.InRange(accepted, Capacity, Capacity + BatchSize);
        Assert.Equal(Posted - accepted, events.DroppedBy(DropReason.QueueFull));
        Assert.Equal(events.DroppedBy(DropReason.QueueFull), events.Dropped);
        Assert.Equal(written, events.Written);

        // Redis comes back (empty): everything accepted is written, then new events flow.
        await redis.StartProcessAsync();
        await Eventually.TrueAsync(
            () => events.Written == written + accepted,
            $"the {accepted} held events to be written (written {events.Written - written}, queued {events.Queued})",
            TimeSpan.FromSeconds(30));
        Assert.Equal(200, (await edge.PostAsync(Event(device, "set"))).Status);
        await Eventually.TrueAsync(() => events.Written == written + accepted + 1, "a new event to be written after Redis came back");
        Assert.Equal(Posted - accepted, events.Dropped);
    }

    [Fact]
    public async Task Without_a_control_plane_events_are_dropped_as_such()
    {
        var dir = Directory.CreateTempSubdirectory("capgo-stats-");
        try
        {
            File.Copy(StatsSamples.SamplePath(), Path.Combine(dir.FullName, "com.demo.app.json"));
            await using var edge = await TestEdge.StartAsync(StatsSamples.Standalone(dir.FullName));
            Assert.False(edge.Events.HasControlPlane);
            var (status, text, _) = await edge.PostAsync(Batch(Event(NewDevice()), Event(NewDevice())));
            Assert.Equal(200, status);
            Assert.Equal("""{"status":"ok","results":[{"status":"ok","index":0},{"status":"ok","index":1}]}""", text);
            (status, _, _) = await edge.PostAsync(Event(NewDevice()));
            Assert.Equal(200, status);
            Assert.Equal(3, edge.Events.DroppedBy(DropReason.NoControlPlane));
            Assert.Equal(3, edge.Events.Dropped);
            Assert.Equal(0, edge.Events.Enqueued);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Queued_events_are_flushed_on_shutdown()
    {
        await using var redis = await RedisServer.StartAsync();
        await StatsSamples.PublishSamplesAsync(redis.ConnectionString);
        await using var mux = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString);
        var edge = await TestEdge.StartAsync(StatsSamples.OnRedis(redis.ConnectionString, "--Events:BatchSize=1"));
        var device = NewDevice();
        try
        {
            const int Batches = 20;
            for (var i = 0; i < Batches; i++)
            {
                var (status, _, _) = await edge.PostAsync(Batch([.. Enumerable.Range(0, 25).Select(_ => Event(device, "ping"))]));
                Assert.Equal(200, status);
            }

            await edge.StopAsync();
            Assert.Equal(0, edge.Events.Dropped);
            Assert.Equal(Batches * 25, edge.Events.Written);
            Assert.Equal(Batches * 25, await mux.GetDatabase().StreamLengthAsync(StatsFixture.StreamKey));

            // After the flush the queue is closed: late events are counted, not lost silently.
            Assert.False(edge.Events.TryEnqueue(new DeviceEvent { AppId = StatsSamples.AppId, DeviceId = device }));
            Assert.Equal(1, edge.Events.DroppedBy(DropReason.Shutdown));
        }
        finally
        {
            await edge.DisposeAsync();
        }
    }

    [Fact]
    public async Task The_stream_is_capped_at_an_approximate_max_length()
    {
        await using var redis = await RedisServer.StartAsync();
        await StatsSamples.PublishSamplesAsync(redis.ConnectionString);
        await using var mux = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString);
        await using var edge = await TestEdge.StartAsync(StatsSamples.OnRedis(redis.ConnectionString, "--Events:MaxStreamLength=1000"));
        var device = NewDevice();
        for (var i = 0; i < 30; i++)
        {
            await edge.PostAsync(Batch([.. Enumerable.Range(0, 100).Select(_ => Event(device, "ping"))]));
        }

        await Eventually.TrueAsync(() => edge.Events.Written == 3000, "3000 events to be written");
        var length = await mux.GetDatabase().StreamLengthAsync(StatsFixture.StreamKey);
        Assert.InRange(length, 1000, 1200);
    }
}

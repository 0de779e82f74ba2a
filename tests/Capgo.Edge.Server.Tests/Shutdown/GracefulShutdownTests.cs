using System.Net.Sockets;
using System.Text;
using Capgo.Edge.Server.Tests.Stats;
using Capgo.Edge.Tests.Support;
using StackExchange.Redis;
using Xunit.Abstractions;
using static Capgo.Edge.Server.Tests.Stats.StatsBodies;

namespace Capgo.Edge.Server.Tests.Shutdown;

/// <summary>
/// Stopping the host (<c>app.StopAsync</c>, the path SIGTERM takes): every accepted event reaches the
/// Redis stream, and a request in flight when the stop begins completes instead of being cut.
/// Real redis-server, real Kestrel; each test has its own Redis and edge.
/// </summary>
public sealed class GracefulShutdownTests(ITestOutputHelper output)
{
    private const string StreamKey = StatsFixture.StreamKey;

    [Fact]
    public async Task Every_accepted_event_is_in_the_stream_after_stop()
    {
        await using var redis = await RedisServer.StartAsync();
        await StatsSamples.PublishSamplesAsync(redis.ConnectionString);
        await using var mux = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString);
        await using var edge = await TestEdge.StartAsync(StatsSamples.OnRedis(redis.ConnectionString));

        // 40 batches of 50 events, 8 at a time, then stop at once: most are still queued.
        var devices = new List<string>();
        var accepted = 0;
        var batches = Enumerable.Range(0, 40).Select(_ =>
        {
            var events = Enumerable.Range(0, 50).Select(_ => NewDevice()).ToArray();
            lock (devices)
            {
                devices.AddRange(events);
            }

            return Batch(events.Select(d => Event(d, "download_complete")).ToArray()).ToJsonString();
        }).ToArray();
        using (var gate = new SemaphoreSlim(8))
        {
            await Task.WhenAll(batches.Select(async body =>
            {
                await gate.WaitAsync();
                try
                {
                    var (status, text, _) = await edge.PostAsync(body);
                    Assert.True(status == 200, $"/stats answered {status}: {text}");
                    Interlocked.Add(ref accepted, 50);
                }
                finally
                {
                    gate.Release();
                }
            }));
        }

        var queuedAtStop = edge.Events.Queued;
        await edge.StopAsync();
        output.WriteLine($"accepted {accepted}, queued at stop {queuedAtStop}, written {edge.Events.Written}, dropped {edge.Events.Dropped}");

        Assert.Equal(2_000, accepted);
        Assert.Equal(0, edge.Events.Dropped);
        var stored = await StatsDevicesAsync(mux);
        Assert.Equal(accepted, stored.Count);
        Assert.True(devices.All(stored.Contains), "an accepted event is missing from the stream");
    }

    /// <summary>
    /// Kestrel cancels pending reads to wake connections at shutdown; a body still arriving then must
    /// be read to its end, not taken as complete.
    /// </summary>
    [Theory]
    [InlineData("POST", "/stats")]
    [InlineData("POST", "/updates")]
    [InlineData("PUT", "/channel_self")]
    public async Task A_slow_request_in_flight_at_stop_completes_and_its_event_is_kept(string method, string path)
    {
        await using var redis = await RedisServer.StartAsync();
        await StatsSamples.PublishSamplesAsync(redis.ConnectionString);
        await using var mux = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString);
        await using var edge = await TestEdge.StartAsync(StatsSamples.OnRedis(redis.ConnectionString));

        var device = NewDevice();
        var body = Encoding.UTF8.GetBytes((path == "/stats" ? Event(device, "set") : Event(device).Without("action").Without("old_version_name")).ToJsonString());
        var head = Encoding.ASCII.GetBytes(
            $"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {body.Length}\r\n\r\n");

        using var tcp = new TcpClient();
        await tcp.ConnectAsync(edge.Http.BaseAddress!.Host, edge.Http.BaseAddress.Port);
        var stream = tcp.GetStream();

        // First half of the body, then the stop begins, then the second half.
        var half = body.Length / 2;
        await stream.WriteAsync(head);
        await stream.WriteAsync(body.AsMemory(0, half));
        await stream.FlushAsync();
        await Task.Delay(300);

        var stopping = edge.StopAsync();
        await Task.Delay(500);
        Assert.False(stopping.IsCompleted, "the host stopped while a request was still in flight");

        await stream.WriteAsync(body.AsMemory(half));
        await stream.FlushAsync();
        var reply = await ReadReplyAsync(stream, TimeSpan.FromSeconds(10));
        output.WriteLine(reply);
        Assert.StartsWith("HTTP/1.1 200", reply, StringComparison.Ordinal);
        Assert.Contains(path switch { "/stats" => "\"status\":\"ok\"", "/updates" => "\"version\":", _ => "\"channel\":\"beta\"" }, reply, StringComparison.Ordinal);

        await stopping.WaitAsync(TimeSpan.FromSeconds(20));
        output.WriteLine($"written {edge.Events.Written}, dropped {edge.Events.Dropped}");
        Assert.Equal(0, edge.Events.Dropped);
        if (path != "/channel_self")
        {
            Assert.Contains(device, await StatsDevicesAsync(mux, checks: true));
        }
    }

    /// <summary>Device ids of the entries in the stream (<c>/stats</c> events, or also update checks).</summary>
    private static async Task<HashSet<string>> StatsDevicesAsync(ConnectionMultiplexer mux, bool checks = false)
    {
        var entries = await mux.GetDatabase().StreamRangeAsync(StreamKey);
        return entries
            .Select(static e => e.Values.ToDictionary(static v => v.Name.ToString(), static v => v.Value.ToString()))
            .Where(e => (checks || e.GetValueOrDefault("kind") != "check") && e.ContainsKey("device_id"))
            .Select(static e => e["device_id"])
            .ToHashSet(StringComparer.OrdinalIgnoreCase);
    }

    /// <summary>The status line, headers and body of one HTTP/1.1 reply with a Content-Length or chunked body.</summary>
    private static async Task<string> ReadReplyAsync(NetworkStream stream, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        var buffer = new byte[8192];
        var text = new StringBuilder();
        while (true)
        {
            int read;
            try
            {
                read = await stream.ReadAsync(buffer, cts.Token);
            }
            catch (OperationCanceledException)
            {
                break;
            }

            if (read == 0)
            {
                break;
            }

            text.Append(Encoding.UTF8.GetString(buffer, 0, read));
            var all = text.ToString();
            var end = all.IndexOf("\r\n\r\n", StringComparison.Ordinal);
            if (end >= 0 && (all.EndsWith("0\r\n\r\n", StringComparison.Ordinal) || HasWholeBody(all, end)))
            {
                break;
            }
        }

        return text.ToString();
    }

    private static bool HasWholeBody(string reply, int headerEnd)
    {
        foreach (var line in reply[..headerEnd].Split("\r\n"))
        {
            if (line.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase)
                && int.TryParse(line["Content-Length:".Length..].Trim(), System.Globalization.CultureInfo.InvariantCulture, out var length))
            {
                return Encoding.UTF8.GetByteCount(reply[(headerEnd + 4)..]) >= length;
            }
        }

        return false;
    }
}

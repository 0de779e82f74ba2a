using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using Capgo.Edge.Redis;
using Capgo.Edge.Server.Admission;
using Capgo.Edge.Server.Tests.Infrastructure;
using Capgo.Edge.Server.Tests.Stats;
using Capgo.Edge.Tests.Support;
using StackExchange.Redis;
using Xunit.Abstractions;
using static Capgo.Edge.Server.Tests.Admission.AdmissionHttp;
using static Capgo.Edge.Server.Tests.ChannelSelf.PluginApps;

namespace Capgo.Edge.Server.Tests.Admission;

/// <summary>
/// The override flood of issue 18: 20 000 <c>POST /channel_self</c> from an old plugin, a fresh device
/// id each, for a self-assignable channel, against a real edge writing pins into a real redis-server.
/// The pins in Redis (<c>HLEN</c> of the app's overrides hash) and on the edge stay under
/// <c>Admission:MaxPinsPerApp</c>, Redis and the edge's heap grow by a bounded number of bytes, and a
/// device of another network is still served. Runs alone: it reads the whole process's heap.
/// </summary>
[Collection(PinFloodRunsAlone.Name)]
public sealed class PinFloodTests : IAsyncLifetime
{
    private const int Requests = 20_000;
    private const int Ceiling = 1_000;
    private const string Legitimate = "198.51.100.7";

    /// <summary>Redis grew by well under 0.1 MiB for the 1 000 pins of the ceiling, by 2.1 MiB for 20 000.</summary>
    private const long RedisBudgetBytes = 1L << 20;

    /// <summary>
    /// The edge's heap after the flood, over the heap before it: the rate limiter's partitions for every
    /// network and device still in their window (about 18 MiB when every request comes from another
    /// network; 36 MiB once the 20 000 pins are held too: the budget catches that).
    /// </summary>
    private const long HeapBudgetBytes = 28L << 20;

    private readonly ITestOutputHelper _output;
    private RedisServer _redis = null!;
    private ConnectionMultiplexer _mux = null!;

    public PinFloodTests(ITestOutputHelper output) => _output = output;

    public async Task InitializeAsync()
    {
        _redis = await RedisServer.StartAsync();
        _mux = await ConnectionMultiplexer.ConnectAsync(_redis.ConnectionString + ",allowAdmin=true");
        await StatsSamples.PublishSamplesAsync(_redis.ConnectionString);
    }

    public async Task DisposeAsync()
    {
        await _mux.DisposeAsync();
        await _redis.DisposeAsync();
    }

    public enum Source
    {
        /// <summary>Every request from one IPv4 address; default limits.</summary>
        OneAddress,

        /// <summary>A new address of one IPv6 /64 for every request; default limits.</summary>
        OneIpv6Network,

        /// <summary>A new IPv4 address for every request (a botnet) and no per-app bucket: the ceiling alone holds.</summary>
        EveryRequestAnotherNetwork,
    }

    [Theory]
    [InlineData(Source.OneAddress)]
    [InlineData(Source.OneIpv6Network)]
    [InlineData(Source.EveryRequestAnotherNetwork)]
    public async Task A_pin_flood_stays_under_the_apps_ceiling_with_bounded_memory_and_other_devices_are_served(Source source)
    {
        string[] args = [TrustLoopback, $"--Admission:MaxPinsPerApp={Ceiling}", .. source == Source.EveryRequestAnotherNetwork ? Unlimited("PinsPerApp") : []];
        await using var edge = await TestEdge.StartAsync(StatsSamples.OnRedis(_redis.ConnectionString, args));
        var db = _mux.GetDatabase();
        var overrides = new RedisLayout().AppOverrides(SampleAppId);

        // A device of another network chose beta before the flood.
        var pinned = NewDevice();
        Assert.Equal(HttpStatusCode.OK, (await edge.RequestAsync(HttpMethod.Post, "/channel_self", Body(OldPlugin, pinned, channel: "beta"), Legitimate)).Status);
        Assert.Equal(BetaVersion, await OfferedAsync(edge, pinned));
        var redisBefore = await UsedMemoryAsync();
        var heapBefore = SettledHeap();

        var replies = await FloodAsync(edge, source);

        var pinsInRedis = await db.HashLengthAsync(overrides);
        var pinsOnEdge = edge.Store.Find(SampleAppId)!.Overrides.Count;
        var redisGrowth = await UsedMemoryAsync() - redisBefore;
        var heapGrowth = SettledHeap() - heapBefore;
        _output.WriteLine(
            $"{source}: {string.Join(", ", replies.OrderBy(static s => s.Key, StringComparer.Ordinal).Select(static s => $"{s.Key}: {s.Value}"))}; " +
            $"pins in Redis {pinsInRedis}, on the edge {pinsOnEdge}; Redis +{redisGrowth} B, edge heap +{heapGrowth} B");

        Assert.Equal(Requests, replies.Values.Sum());
        Assert.InRange(replies.GetValueOrDefault("200"), 1, Ceiling);
        Assert.InRange(pinsInRedis, 1, Ceiling);
        Assert.InRange(pinsOnEdge, 1, Ceiling);
        if (source == Source.EveryRequestAnotherNetwork)
        {
            // No bucket held it back: the ceiling did, exactly.
            Assert.Equal(Ceiling, pinsInRedis);
            Assert.Equal(Requests - replies["200"], replies["429 " + AppAdmission.PinCapMessage]);
        }
        else
        {
            // One network, one bucket: most of the flood never reached the handler.
            Assert.True(replies.GetValueOrDefault("429 " + AdmissionExtensions.RefusedMessage) > Requests / 2, "the network's bucket refused less than half the flood");
        }

        Assert.InRange(redisGrowth, long.MinValue, RedisBudgetBytes);
        Assert.InRange(heapGrowth, long.MinValue, HeapBudgetBytes);

        // The device of the other network: its checks, its reads, its unset.
        Assert.Equal(BetaVersion, await OfferedAsync(edge, pinned));
        var get = await edge.RequestAsync(HttpMethod.Put, "/channel_self", Body(OldPlugin, pinned), Legitimate);
        Assert.Equal("""{"channel":"beta","status":"override","allowSet":true}""", get.Text);
        Assert.Equal(HttpStatusCode.OK, (await edge.RequestAsync(HttpMethod.Get, "/channel_self?app_id=com.demo.app&platform=android", null, Legitimate)).Status);
        await Eventually.TrueAsync(
            async () => (await edge.RequestAsync(HttpMethod.Delete, "/channel_self?" + Query(Body(OldPlugin, pinned)), null, Legitimate)).Status == HttpStatusCode.OK,
            "the device's unset to be admitted once the app's bucket refills");
        Assert.Contains(await OfferedAsync(edge, pinned), ProductionVersions);

        // A new device of that network pins itself once the app's bucket refills (at the ceiling, the unset above made room for it)...
        var newcomer = NewDevice();
        await Eventually.TrueAsync(
            async () => (await edge.RequestAsync(HttpMethod.Post, "/channel_self", Body(OldPlugin, newcomer, channel: "beta"), Legitimate)).Status == HttpStatusCode.OK,
            "the new device's pin to be admitted once the app's bucket refills");
        Assert.Equal(BetaVersion, await OfferedAsync(edge, newcomer));

        // ...and at the ceiling the next one is refused.
        if (source == Source.EveryRequestAnotherNetwork)
        {
            AssertTooManyRequests(
                await edge.RequestAsync(HttpMethod.Post, "/channel_self", Body(OldPlugin, NewDevice(), channel: "beta"), Legitimate),
                AppAdmission.PinCapMessage);
        }

        Assert.InRange(await db.HashLengthAsync(overrides), 1, Ceiling);
    }

    /// <summary>The flood; the replies counted by status and, for 429, by message (which limit refused it).</summary>
    private static async Task<ConcurrentDictionary<string, int>> FloodAsync(TestEdge edge, Source source)
    {
        var replies = new ConcurrentDictionary<string, int>();
        var random = new Random(18);
        var clients = Enumerable.Range(0, Requests).Select(i => source switch
        {
            Source.OneAddress => "203.0.113.50",
            Source.OneIpv6Network => string.Create(CultureInfo.InvariantCulture, $"2001:db8:bad:1:{random.Next(0x10000):x}:{random.Next(0x10000):x}:{random.Next(0x10000):x}:{random.Next(1, 0x10000):x}"),
            _ => string.Create(CultureInfo.InvariantCulture, $"10.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}"),
        }).ToArray();

        await Parallel.ForEachAsync(clients, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (client, _) =>
        {
            var reply = await edge.RequestAsync(HttpMethod.Post, "/channel_self", Body(OldPlugin, NewDevice(), channel: "beta"), client);
            var key = "200";
            if (reply.Status == HttpStatusCode.TooManyRequests)
            {
                AssertTooManyRequests(reply);
                key = "429 " + (string)reply.Json()["message"]!;
            }
            else
            {
                Assert.True(reply.Status == HttpStatusCode.OK && reply.Text == """{"status":"ok"}""", reply.ToString());
            }

            replies.AddOrUpdate(key, 1, static (_, n) => n + 1);
        });
        return replies;
    }

    private static async Task<string?> OfferedAsync(TestEdge edge, string device)
    {
        var reply = await edge.RequestAsync(HttpMethod.Post, "/updates", Body(OldPlugin, device), Legitimate);
        return (string?)PluginReply.AssertOffer(reply)["version"];
    }

    private async Task<long> UsedMemoryAsync()
    {
        var info = (string)(await _mux.GetDatabase().ExecuteAsync("INFO", "memory"))!;
        var line = info.Split('\n').First(static l => l.StartsWith("used_memory:", StringComparison.Ordinal));
        return long.Parse(line["used_memory:".Length..].Trim(), CultureInfo.InvariantCulture);
    }

    private static long SettledHeap()
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        return GC.GetTotalMemory(forceFullCollection: true);
    }
}

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class PinFloodRunsAlone
{
    public const string Name = "pin flood (runs alone)";
}

using System.Diagnostics;
using System.Globalization;
using System.Text;
using Capgo.Edge.Contracts.V1;
using Capgo.Edge.Server.Tests.Infrastructure;
using Capgo.Edge.Server.Tests.Stats;
using Capgo.Edge.Tests.Support;
using Xunit.Abstractions;

namespace Capgo.Edge.Server.Tests.Fuzz;

/// <summary>
/// Hostile input to a real in-process edge (Redis mode, real Kestrel), half over HTTP/1.1
/// (<see cref="HttpFuzzer"/>: mutated plugin bodies) and half over gRPC on h2c (<see cref="GrpcFuzzer"/>:
/// hostile field values and malformed protobuf as raw frames), in three phases: a warm-up, the hostile
/// campaign, then a flood of valid requests each from a device never seen before. Never a server
/// failure; every refusal in the contract's shape; the heap does not grow with the requests of the
/// campaign nor with the devices of the flood.
/// <para>
/// The gate sends <see cref="DefaultBodies"/> bodies; <c>CAPGO_FUZZ_BODIES=100000</c> runs the full
/// campaign, <c>CAPGO_FUZZ_TRANSPORT=http|grpc</c> one transport only, <c>CAPGO_FUZZ_SEED</c> changes
/// the seed, <c>CAPGO_FUZZ_REPORT</c> writes the report to a file (docs/reliability.md).
/// </para>
/// <para>
/// The heap is the whole test process's: edges started by test classes running beside it counted in
/// it (a fresh-clone run saw +107 MiB against the usual +27 to +46), so the campaign runs alone.
/// </para>
/// </summary>
[Collection(FuzzRunsAlone.Name)]
public sealed class FuzzTests(ITestOutputHelper output)
{
    public const int DefaultBodies = 20_000;
    public const int DefaultSeed = 20_261_123;
    private const int Workers = 8;

    /// <summary>
    /// Growth of the small-object heap (gen0–2 live after a forced full GC) allowed over the campaign,
    /// beside the pins it wrote: limiter partitions of the last seconds, the request string table, pooled
    /// buffers, metric series. A leak of a few hundred bytes per request shows up here.
    /// </summary>
    private const long HeapBoundBytes = 16L * 1024 * 1024;

    /// <summary>
    /// Growth allowed of the whole GC heap (GC.GetTotalMemory after a forced GC), large-object heap
    /// included: big pooled buffers (ArrayPool&lt;byte&gt;.Shared) of the over-limit bodies, rented by the
    /// edge and by the mutators in this one process, stay in the pool (+51 to +118 MiB measured). 160 MiB
    /// still fails on anything that keeps ~20 KB per campaign body of the gate.
    /// </summary>
    private const long TotalHeapBoundBytes = 160L * 1024 * 1024;

    /// <summary>
    /// Growth of the small-object heap allowed over the device flood, beside its pins and its
    /// <c>/channel_self</c> limiter partitions: one flood measured within ±40 KiB from run to run.
    /// </summary>
    private const long FloodSlackBytes = 256L * 1024;

    /// <summary>
    /// What a per-device partition of the <c>/channel_self</c> limiter costs until the library drops it,
    /// 10 s after its window (key, limiter, dictionary slot): floods measured 330 to 430 bytes per
    /// <c>/channel_self</c> request, everything else included.
    /// </summary>
    private const long PartitionBytes = 440;

    /// <summary>What one device pin costs the edge at most (a 16-byte key, a node, the channel's name).</summary>
    private const long PinBytes = 160;

    /// <summary>The per-device leak the flood's bound must catch: a device id string alone is 96 bytes.</summary>
    private const long DeviceLeakBytes = 100;

    [Fact]
    public async Task Hostile_bodies_over_HTTP_and_gRPC_never_get_a_server_failure_and_leave_no_per_device_state()
    {
        var total = EnvInt("CAPGO_FUZZ_BODIES", DefaultBodies);
        var seed = EnvInt("CAPGO_FUZZ_SEED", DefaultSeed);
        var transport = Environment.GetEnvironmentVariable("CAPGO_FUZZ_TRANSPORT") is { Length: > 0 } t ? t : "both";
        Assert.Contains(transport, new[] { "both", "http", "grpc" });
        Assert.True(total >= 1_000, "CAPGO_FUZZ_BODIES too small");
        var warmup = Math.Min(5_000, total / 10);
        var flood = total / 2;
        var campaign = total - warmup - flood;

        await using var redis = await RedisServer.StartAsync();
        await StatsSamples.PublishSamplesAsync(redis.ConnectionString);
        await using var edge = await TestEdge.StartAsync(StatsSamples.OnRedis(
            redis.ConnectionString,
            // The enumeration guard is fuzzed too, but must not turn every later check into a 429.
            "--Abuse:UnknownAppLimit=1024",
            "--Abuse:UnknownAppWindow=00:00:01",
            "--Abuse:BlockDuration=00:00:01",
            // From one address the per-network buckets would answer most bodies 429 before reading them.
            "--Admission:ChannelSelfPerNetwork:TokenLimit=10000000",
            "--Admission:ChannelSelfPerNetwork:TokensPerPeriod=10000000",
            "--Admission:StatsPerNetwork:TokenLimit=10000000",
            "--Admission:StatsPerNetwork:TokensPerPeriod=10000000",
            "--Admission:EventsPerApp:TokenLimit=10000000",
            "--Admission:EventsPerApp:TokensPerPeriod=10000000"));

        using var httpClient = HttpFuzzer.Client(edge.HttpBase, Workers);
        using var grpcClient = RawGrpc.Client(edge.GrpcBase);
        var http = new HttpFuzzer(httpClient);
        var grpc = new GrpcFuzzer(grpcClient);
        var results = new FuzzResults();
        var floodResults = new FuzzResults();
        var timings = new Dictionary<string, TimeSpan>(StringComparer.Ordinal);
        var httpShare = transport switch { "http" => 1.0, "grpc" => 0.0, _ => 0.5 };

        async Task RunAsync(int runSeed, int count, FuzzResults into, bool devices = false)
        {
            var httpCount = (int)(count * httpShare);
            var clock = Stopwatch.StartNew();
            await http.RunAsync(runSeed, httpCount, Workers, into, devices);
            timings[HttpFuzzer.Target] = timings.GetValueOrDefault(HttpFuzzer.Target) + clock.Elapsed;
            clock.Restart();
            await grpc.RunAsync(runSeed, count - httpCount, Workers, into, devices);
            timings[GrpcFuzzer.Target] = timings.GetValueOrDefault(GrpcFuzzer.Target) + clock.Elapsed;
        }

        long Pins() => edge.Store.Apps.Sum(static a => (long)a.Overrides.Count);

        var stopwatch = Stopwatch.StartNew();
        await RunAsync(seed, warmup, results);
        var warm = await FuzzMemory.SettleAsync(edge);
        await RunAsync(seed + 1, campaign, results);
        var end = await FuzzMemory.SettleAsync(edge);
        var pins = Pins();
        await RunAsync(seed + 2, flood, floodResults, devices: true);
        var flooded = await FuzzMemory.SettleAsync(edge);
        var floodPins = Pins() - pins;
        stopwatch.Stop();

        // Every flood body to /channel_self may hold a partition of its limiter; the rest may hold nothing.
        var floodPartitions = floodResults.SentTo(HttpFuzzer.Target + "POST /channel_self") + floodResults.SentTo(HttpFuzzer.Target + "PUT /channel_self");
        var floodBound = FloodSlackBytes + floodPartitions * PartitionBytes + floodPins * PinBytes;

        var report = new StringBuilder();
        report.AppendLine(CultureInfo.InvariantCulture, $"fuzz: {total} bodies ({warmup} warm-up, {campaign} campaign, {flood} device flood), seed {seed}, {stopwatch.Elapsed.TotalSeconds:F1} s in all");
        AppendRates(report, results, floodResults, timings);
        report.AppendLine("campaign (warm-up included):");
        results.AppendHistogram(report, IsServerFailure);
        report.AppendLine(CultureInfo.InvariantCulture, $"  contract violations: {results.Failures.Count}; device pins held after it: {pins}");
        report.AppendLine(CultureInfo.InvariantCulture, $"  small-object heap (gen0-2 live) after forced GC: warm-up {FuzzMemory.MiB(warm.Small)} MiB, end {FuzzMemory.MiB(end.Small)} MiB, delta {FuzzMemory.DeltaMiB(end.Small - warm.Small)} MiB (bound {HeapBoundBytes / 1048576} MiB + {PinBytes} B per pin)");
        report.AppendLine(CultureInfo.InvariantCulture, $"  GC heap (GetTotalMemory) after forced GC: warm-up {FuzzMemory.MiB(warm.Total)} MiB, end {FuzzMemory.MiB(end.Total)} MiB, delta {FuzzMemory.DeltaMiB(end.Total - warm.Total)} MiB (bound {TotalHeapBoundBytes / 1048576} MiB)");
        report.AppendLine(CultureInfo.InvariantCulture, $"  large-object heap after forced GC: warm-up {FuzzMemory.MiB(warm.LargeObjects)} MiB ({FuzzMemory.MiB(warm.LargeObjectsLive)} MiB of objects), end {FuzzMemory.MiB(end.LargeObjects)} MiB ({FuzzMemory.MiB(end.LargeObjectsLive)} MiB of objects)");
        report.AppendLine(CultureInfo.InvariantCulture, $"device flood ({flood} valid requests, a new device id each):");
        floodResults.AppendHistogram(report, IsServerFailure);
        report.AppendLine(CultureInfo.InvariantCulture, $"  contract violations: {floodResults.Failures.Count}; pins written: {floodPins}; /channel_self requests: {floodPartitions}");
        report.AppendLine(CultureInfo.InvariantCulture, $"  small-object heap: {FuzzMemory.MiB(end.Small)} -> {FuzzMemory.MiB(flooded.Small)} MiB, delta {(flooded.Small - end.Small) / 1024:+0;-0} KiB, {(double)(flooded.Small - end.Small) / flood:F0} B per device (bound {floodBound / 1024} KiB; a leak of {DeviceLeakBytes} B per device would add {flood * DeviceLeakBytes / 1024} KiB)");
        report.AppendLine(CultureInfo.InvariantCulture, $"working set (RSS) of the process: warm-up {FuzzMemory.MiB(warm.WorkingSet)} MiB, campaign end {FuzzMemory.MiB(end.WorkingSet)} MiB, flood end {FuzzMemory.MiB(flooded.WorkingSet)} MiB");
        output.WriteLine(report.ToString());
        if (Environment.GetEnvironmentVariable("CAPGO_FUZZ_REPORT") is { Length: > 0 } reportPath)
        {
            await File.WriteAllTextAsync(reportPath, report.ToString());
        }

        Assert.Equal(warmup + campaign, results.Sent);
        Assert.Equal(flood, floodResults.Sent);
        Assert.True(results.Failures.IsEmpty, "contract violations:\n" + string.Join("\n", results.Failures.Take(20)));
        Assert.True(floodResults.Failures.IsEmpty, "contract violations in the flood:\n" + string.Join("\n", floodResults.Failures.Take(20)));
        Assert.True(end.Small - warm.Small < HeapBoundBytes + pins * PinBytes, $"small-object heap grew from {warm.Small:N0} to {end.Small:N0} bytes ({pins} pins)");
        Assert.True(end.Total - warm.Total < TotalHeapBoundBytes, $"GC heap grew from {warm.Total:N0} to {end.Total:N0} bytes");
        Assert.True(flooded.Small - end.Small < floodBound, $"the flood of {flood} devices grew the small-object heap from {end.Small:N0} to {flooded.Small:N0} bytes (bound {floodBound:N0})");

        // The edge still answers the real bodies afterwards, on both transports.
        var (status, _, json) = await edge.PostBytesAsync(Vectors.Bytes(Vectors.AndroidRequest), "/updates");
        Assert.Equal(200, status);
        Assert.False(string.IsNullOrEmpty(json.GetProperty("version").GetString()));
        var reply = await edge.Client.CheckForUpdateAsync(
            Google.Protobuf.JsonParser.Default.Parse<UpdateRequest>(Encoding.UTF8.GetString(Vectors.Bytes(Vectors.AndroidRequest))),
            deadline: DateTime.UtcNow.AddSeconds(30));
        Assert.False(string.IsNullOrEmpty(reply.Version));
    }

    private static bool IsServerFailure(string answer) => HttpFuzzer.IsServerFailure(answer) || GrpcFuzzer.IsServerFailure(answer);

    private static void AppendRates(StringBuilder report, FuzzResults results, FuzzResults flood, Dictionary<string, TimeSpan> timings)
    {
        foreach (var (name, prefix) in new[] { ("HTTP/1.1", HttpFuzzer.Target), ("gRPC (h2c)", GrpcFuzzer.Target) })
        {
            var sent = results.SentTo(prefix) + flood.SentTo(prefix);
            var seconds = timings.GetValueOrDefault(prefix).TotalSeconds;
            report.AppendLine(CultureInfo.InvariantCulture, $"  {name}: {sent} bodies, {Workers} clients, {seconds:F1} s ({(seconds > 0 ? sent / seconds : 0):F0} bodies/s)");
        }
    }

    private static int EnvInt(string name, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) ? value : fallback;
}

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class FuzzRunsAlone
{
    public const string Name = "fuzz (runs alone)";
}

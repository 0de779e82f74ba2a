using Capgo.Edge.EventLoad;
using Capgo.Edge.Tests.Support;

namespace Capgo.Edge.ControlPlane.Service.Tests.Analytics;

/// <summary>
/// The consumer benchmark (loadtests/consumer/run.sh) in its short mode, end to end: realistic entries
/// in a real Redis, the service as its own process (<c>dotnet Capgo.Edge.ControlPlane.Service.dll</c>),
/// and every total it wrote read back. Its speed is not asserted; that it counted exactly what was
/// written is, which is what makes the benchmark's rate a result.
/// </summary>
public sealed class ConsumerBenchmarkTests : IAsyncLifetime
{
    private RedisServer _redis = null!;

    public async Task InitializeAsync() => _redis = await RedisServer.StartAsync();

    public async Task DisposeAsync() => await _redis.DisposeAsync();

    [Fact]
    public async Task The_short_benchmark_run_by_the_service_process_counts_exactly_what_it_wrote()
    {
        using var log = new StringWriter();
        var result = await ConsumerBenchmark.RunAsync(
            new BenchOptions
            {
                Events = BenchOptions.ShortEvents,
                Redis = $"127.0.0.1:{_redis.Port}",
                Service = Path.Combine(AppContext.BaseDirectory, "Capgo.Edge.ControlPlane.Service.dll"),
                Timeout = TimeSpan.FromMinutes(3),
            },
            log);

        var wrong = result.Checks.Where(static c => !c.Ok).Select(static c => $"{c.Name}: expected {c.Expected}, got {c.Actual}");
        Assert.True(result.Verified, $"{string.Join("; ", wrong)}\n{log}");
        Assert.Equal(BenchOptions.ShortEvents, result.Events);
        Assert.Contains(result.Checks, static c => c.Name == "analytics:counts processed" && c.Actual == "50000");
        Assert.Contains(result.Checks, static c => c.Name.StartsWith("per-hour check:", StringComparison.Ordinal));
        Assert.Contains(result.Checks, static c => c.Name == "per-minute fail");

        // The service's own gauge says the same as the group: nothing left to read.
        Assert.Equal(0, result.LagMetricAfter);
    }
}

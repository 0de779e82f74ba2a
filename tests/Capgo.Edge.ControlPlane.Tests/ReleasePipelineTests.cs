using Capgo.Edge.Tests.Support;
using Xunit.Abstractions;

namespace Capgo.Edge.ControlPlane.Tests;

/// <summary>The release pipeline against a real Redis and two real edges syncing from it.</summary>
public sealed class ReleasePipelineTests(ITestOutputHelper log) : ReleasePipeline(log)
{
    private RedisServer _redis = null!;
    private TestEdge[] _edges = [];

    protected override IReadOnlyList<TestEdge> Edges => _edges;

    protected override string[] StoreArgs => ["--redis", _redis.ConnectionString];

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        _redis = await RedisServer.StartAsync();
        _edges =
        [
            await TestEdge.StartAsync(new TestEdgeOptions { Redis = _redis.ConnectionString, Name = "edge-a", WaitReady = false }),
            await TestEdge.StartAsync(new TestEdgeOptions { Redis = _redis.ConnectionString, Name = "edge-b", WaitReady = false }),
        ];
    }

    public override async Task DisposeAsync()
    {
        foreach (var edge in _edges)
        {
            await edge.DisposeAsync();
        }

        await _redis.DisposeAsync();
        await base.DisposeAsync();
    }

    protected override Task WaitForLiveEdgesAsync() =>
        Eventually.TrueAsync(async () => (await RunAsync("edges")).Out.StartsWith("2 live edges", StringComparison.Ordinal), "both edges to be live");
}

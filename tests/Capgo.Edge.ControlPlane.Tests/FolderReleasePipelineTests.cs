using Capgo.Edge.Core;
using Capgo.Edge.Tests.Support;
using Xunit.Abstractions;

namespace Capgo.Edge.ControlPlane.Tests;

/// <summary>
/// The release pipeline against a projection folder (<c>--dir</c>) and one standalone edge reading it:
/// no Redis anywhere; <c>--wait</c> reads the edge's acknowledgement in the folder.
/// </summary>
public sealed class FolderReleasePipelineTests(ITestOutputHelper log) : ReleasePipeline(log)
{
    private string _projection = null!;
    private TestEdge[] _edges = [];

    protected override IReadOnlyList<TestEdge> Edges => _edges;

    protected override string[] StoreArgs => ["--dir", _projection];

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        _projection = Directory.CreateTempSubdirectory("capgo-release-folder-").FullName;
        _edges = [await TestEdge.StartAsync(TestEdgeOptions.Standalone(_projection) with { Name = "solo" })];
    }

    public override async Task DisposeAsync()
    {
        foreach (var edge in _edges)
        {
            await edge.DisposeAsync();
        }

        Directory.Delete(_projection, recursive: true);
        await base.DisposeAsync();
    }

    protected override Task WaitForLiveEdgesAsync() =>
        Eventually.TrueAsync(() => Task.FromResult(File.Exists(ProjectionFolder.EdgeFile(_projection, "solo"))), "the standalone edge to acknowledge");
}

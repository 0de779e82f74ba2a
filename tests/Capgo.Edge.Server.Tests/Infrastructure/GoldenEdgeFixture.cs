using Capgo.Edge.Tests.Support;

namespace Capgo.Edge.Server.Tests.Infrastructure;

/// <summary>One edge for the read-only test classes, answering from <see cref="TestProjection"/>.</summary>
public sealed class GoldenEdgeFixture : IAsyncLifetime, IDisposable
{
    private readonly TempDirectory _directory = new();
    private TestEdge? _edge;

    internal TestEdge Edge => _edge ?? throw new InvalidOperationException("The edge is not started");

    public async Task InitializeAsync()
    {
        TestProjection.WriteAll(_directory);
        _edge = await TestEdge.StartAsync(new TestEdgeOptions { ProjectionDirectory = _directory.Path, WaitReady = true });
    }

    public async Task DisposeAsync()
    {
        if (_edge is not null)
        {
            await _edge.DisposeAsync();
        }
    }

    public void Dispose() => _directory.Dispose();
}

[CollectionDefinition(Name)]
public sealed class GoldenEdgeDefinition : ICollectionFixture<GoldenEdgeFixture>
{
    public const string Name = "golden edge";
}

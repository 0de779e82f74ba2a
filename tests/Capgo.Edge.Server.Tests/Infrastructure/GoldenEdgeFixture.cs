namespace Capgo.Edge.Server.Tests.Infrastructure;

/// <summary>One edge for the read-only test classes, answering from <see cref="TestProjection"/>.</summary>
public sealed class GoldenEdgeFixture : IAsyncLifetime, IDisposable
{
    private readonly TempDirectory _directory = new();
    private EdgeServer? _edge;

    internal EdgeServer Edge => _edge ?? throw new InvalidOperationException("The edge is not started");

    public async Task InitializeAsync()
    {
        TestProjection.WriteAll(_directory);
        _edge = await EdgeServer.StartAsync(_directory.Path);
        await Wait.UntilAsync(
            async () => (await _edge.GetAsync("/healthz/ready")).Status == System.Net.HttpStatusCode.OK,
            TimeSpan.FromSeconds(10),
            "the golden edge never became ready");
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

internal static class Wait
{
    /// <summary>Polls until the condition holds; fails the test with <paramref name="because"/> on timeout.</summary>
    public static async Task UntilAsync(Func<Task<bool>> condition, TimeSpan timeout, string because)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            if (await condition())
            {
                return;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new Xunit.Sdk.XunitException($"Timed out after {timeout.TotalSeconds:0.#} s: {because}");
            }

            await Task.Delay(50);
        }
    }
}

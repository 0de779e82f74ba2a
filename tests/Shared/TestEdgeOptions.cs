using Capgo.Edge.Server.Hosting;
using Microsoft.AspNetCore.Builder;

namespace Capgo.Edge.Tests.Support;

/// <summary>
/// What a <see cref="TestEdge"/> serves from and what start-up waits for. A projection folder makes it
/// a standalone edge; a Redis connection makes it sync from Redis; <see cref="Args"/> come last, so
/// they override anything set here.
/// </summary>
public sealed record TestEdgeOptions
{
    /// <summary>Standalone mode: <c>Projection:Directory</c>.</summary>
    public string? ProjectionDirectory { get; init; }

    /// <summary>Redis mode: <c>ConnectionStrings:Redis</c>.</summary>
    public string? Redis { get; init; }

    /// <summary><c>Sync:EdgeName</c>; null leaves it unset, so the edge names itself.</summary>
    public string? Name { get; init; }

    /// <summary><c>Sync:Prefix</c>; null leaves the default.</summary>
    public string? Prefix { get; init; }

    /// <summary>
    /// Redis mode: <c>Sync:SnapshotPath</c>. A file of its own per options instance by default, so no test
    /// starts from another's last-known-good snapshot; a test that restarts an edge passes the same options.
    /// </summary>
    public string SnapshotPath { get; init; } = Path.Combine(Path.GetTempPath(), "capgo-edge-tests", $"{Guid.NewGuid():N}.snapshot");

    /// <summary>Redis mode: short sync intervals, so a test sees a reconcile or a heartbeat within a second.</summary>
    public TimeSpan ReconcileInterval { get; init; } = TimeSpan.FromMilliseconds(500);

    public TimeSpan HeartbeatInterval { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>More command-line arguments, after the ones above.</summary>
    public IReadOnlyList<string> Args { get; init; } = [];

    /// <summary>Builds the host from the arguments: the edge's own builder, or a test's variant of it.</summary>
    public Func<string[], WebApplication> Build { get; init; } = static args => EdgeHost.Build(args);

    /// <summary>
    /// Serves the admin endpoint on a free loopback port with <see cref="TestEdge.AdminApiKey"/>
    /// (<see cref="TestEdge.Admin"/>): explain, detailed health, metrics.
    /// </summary>
    public bool Admin { get; init; }

    /// <summary>Start returns only once a projection is loaded.</summary>
    public bool WaitReady { get; init; }

    /// <summary>Start returns only once these apps are loaded (implies <see cref="WaitReady"/>).</summary>
    public IReadOnlyList<string> WaitForApps { get; init; } = [];

    /// <summary>A standalone edge on a folder, with more arguments.</summary>
    public static TestEdgeOptions Standalone(string projectionDirectory, params string[] args) =>
        new() { ProjectionDirectory = projectionDirectory, Args = args };

    /// <summary>The arguments this mode adds to the listening ports.</summary>
    internal IEnumerable<string> ModeArgs()
    {
        if (ProjectionDirectory is not null)
        {
            yield return $"--Projection:Directory={ProjectionDirectory}";
        }

        if (Redis is not null)
        {
            yield return $"--ConnectionStrings:Redis={Redis}";
            yield return $"--Sync:ReconcileInterval={ReconcileInterval:c}";
            yield return $"--Sync:HeartbeatInterval={HeartbeatInterval:c}";
            yield return $"--Sync:SnapshotPath={SnapshotPath}";
        }

        if (Name is not null)
        {
            yield return $"--Sync:EdgeName={Name}";
        }

        if (Prefix is not null)
        {
            yield return $"--Sync:Prefix={Prefix}";
        }
    }
}

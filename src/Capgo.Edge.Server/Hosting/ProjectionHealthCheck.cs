using Capgo.Edge.Core;
using Capgo.Edge.Server.Projection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Capgo.Edge.Server.Hosting;

/// <summary>
/// Healthy once a projection is loaded; degraded while its source is unreachable or some app's data
/// is refused (<see cref="RejectedData"/>: those apps keep their last good snapshot); unhealthy before.
/// The description is a reason code (<see cref="Capgo.Edge.Redis.SyncReasons"/>, or
/// <see cref="NoProjection"/>), never an exception's text: that goes to the log.
/// </summary>
internal sealed class ProjectionHealthCheck(ProjectionStore store, ProjectionHealth health, TimeProvider time) : IHealthCheck
{
    public const string Name = "projection";
    public const string NoProjection = "no_projection";
    public const string Apps = "apps";
    public const string Source = "source";
    public const string LastSync = "lastSyncUnixMs";
    public const string LastSyncAge = "lastSyncAgeSeconds";
    public const string RejectedData = "rejected_data";
    public const string Rejected = "rejectedApps";
    public const string SnapshotAge = "snapshotAgeSeconds";

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var lastSync = health.LastSyncUnixMs;
        var data = new Dictionary<string, object>
        {
            [Apps] = store.Count,
            [Source] = health.Mode,
            [LastSync] = lastSync,
        };
        if (lastSync > 0)
        {
            // How long the source has been silent: the age of what is served, as far as the edge knows.
            data[LastSyncAge] = Math.Max(0, time.GetUtcNow().ToUnixTimeMilliseconds() - lastSync) / 1000.0;
        }

        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        if (health.SnapshotWrittenUnixMs is > 0 and var written)
        {
            // Served from the last-known-good snapshot: how old what is served really is.
            data[SnapshotAge] = Math.Max(0, now - written) / 1000.0;
        }

        var rejected = store.Rejected;
        if (rejected.Count > 0)
        {
            data[Rejected] = string.Join(", ", rejected.Keys.Order(StringComparer.Ordinal).Take(20));
        }

        var reason = health.Problem ?? (rejected.Count == 0 ? null : RejectedData);
        return Task.FromResult(
            !store.IsLoaded ? HealthCheckResult.Unhealthy(reason ?? NoProjection, data: data)
            : reason is not null ? HealthCheckResult.Degraded(reason, data: data)
            : HealthCheckResult.Healthy(null, data));
    }
}

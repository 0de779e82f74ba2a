using System.Diagnostics;
using System.Diagnostics.Metrics;
using Capgo.Edge.Core;
using Capgo.Edge.Server.Projection;

namespace Capgo.Edge.Server.Observability;

/// <summary>
/// The edge's own instruments (meter <c>Capgo.Edge</c>), exported for Prometheus at <c>/metrics</c>.
/// Recording a check costs two instrument calls with at most three tags: no allocation.
/// </summary>
internal sealed class EdgeMetrics
{
    public const string MeterName = "Capgo.Edge";
    public const string CheckDuration = "capgo_edge_check_duration";

    private readonly Counter<long> _checks;
    private readonly Histogram<double> _duration;
    private readonly Counter<long> _syncEvents;

    public EdgeMetrics(IMeterFactory meters, ProjectionStore store, ProjectionHealth health, TimeProvider time)
    {
        var meter = meters.Create(MeterName);
        _checks = meter.CreateCounter<long>("capgo_edge_checks", description: "Update checks answered, by kind and error code (code is empty for offers).");
        _duration = meter.CreateHistogram<double>(CheckDuration, unit: "s", description: "Time to answer an update check inside the edge (after parsing, before serialization).");
        _syncEvents = meter.CreateCounter<long>("capgo_edge_sync_events", description: "Projection changes applied, by type.");
        meter.CreateObservableGauge("capgo_edge_projection_apps", () => store.Count, description: "Apps held in memory.");
        meter.CreateObservableGauge(
            "capgo_edge_projection_generation",
            () => store.Apps.Select(static a => new Measurement<long>(a.Generation, new KeyValuePair<string, object?>("app", a.AppId))),
            description: "Generation served, per app.");
        meter.CreateObservableGauge(
            "capgo_edge_projection_age",
            () =>
            {
                // Generations are microseconds since the Unix epoch at the change.
                var nowMicros = time.GetUtcNow().ToUnixTimeMilliseconds() * 1000;
                return store.Apps.Select(a => new Measurement<double>(
                    Math.Max(0, nowMicros - a.Generation) / 1e6,
                    new KeyValuePair<string, object?>("app", a.AppId)));
            },
            unit: "s",
            description: "Time since the served generation of each app was published.");
        meter.CreateObservableGauge("capgo_edge_projection_degraded", () => health.IsDegraded ? 1 : 0, description: "1 while the projection source (Redis) is unreachable.");
        meter.CreateObservableGauge("capgo_edge_projection_ready", () => store.IsLoaded ? 1 : 0, description: "1 once a projection is loaded.");
    }

    public void CheckAnswered(string transport, string kind, string code, long startedTimestamp)
    {
        _checks.Add(1, new("transport", transport), new("kind", kind), new("code", code));
        _duration.Record(Stopwatch.GetElapsedTime(startedTimestamp).TotalSeconds, new KeyValuePair<string, object?>("transport", transport));
    }

    public void SyncApplied(string type) => _syncEvents.Add(1, new KeyValuePair<string, object?>("type", type));
}

using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;
using Capgo.Edge.Core;
using Capgo.Edge.Server.Projection;
using Microsoft.Extensions.Options;

namespace Capgo.Edge.Server.Observability;

/// <summary>
/// The edge's own instruments (meter <c>Capgo.Edge</c>), exported for Prometheus at <c>/metrics</c> on the admin endpoint.
/// A decided check costs one interlocked increment in a table indexed by transport and outcome, with
/// no allocation and no tag lookup on the request path, plus for one check in
/// <see cref="MetricsOptions.CheckDurationSampleEvery"/> a histogram record. The table is reported
/// through an observable counter when scraped.
/// </summary>
internal sealed class EdgeMetrics
{
    public const string MeterName = "Capgo.Edge";
    public const string CheckDuration = "capgo_edge_check_duration";
    public const string Grpc = "grpc";
    public const string Json = "json";
    private const string Rejected = "rejected";

    private static readonly string[] Transports = [Grpc, Json];

    /// <summary>Decided checks per (transport, outcome): index <c>transport * Outcomes.Count + outcome</c>.</summary>
    private readonly long[] _decided = new long[Transports.Length * Outcomes.Count];

    /// <summary>Checks refused before a decision (bad body, throttled, not ready), per (transport, code): rare.</summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<(string Transport, string Code), StrongBox<long>> _rejected = new();

    private readonly Histogram<double> _duration;
    private readonly TimeProvider _time;
    private readonly Counter<long> _syncEvents;
    private readonly int _sampleEvery;

    public EdgeMetrics(IMeterFactory meters, ProjectionStore store, ProjectionHealth health, TimeProvider time, IOptions<MetricsOptions> options)
    {
        _time = time;
        _sampleEvery = options.Value.CheckDurationSampleEvery;
        var meter = meters.Create(MeterName);
        meter.CreateObservableCounter("capgo_edge_checks", ReportChecks, description: "Update checks answered, by kind and error code (code is empty for offers).");
        _duration = meter.CreateHistogram<double>(CheckDuration, unit: "s", description: "Time to answer an update check inside the edge, up to serialization: from the decoded request over gRPC, from the start of the body read over HTTP.");
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
        meter.CreateObservableGauge("capgo_edge_projection_rejected_apps", () => store.Rejected.Count, description: "Apps whose latest data (document or generation) was refused; each serves its last good snapshot.");
    }

    /// <summary>
    /// The timestamp a check's duration is measured from. The event filter reads its clock from the
    /// same value, so a check reads the clock once.
    /// </summary>
    public long StartCheck() => _time.GetTimestamp();

    /// <summary>A check answered with a decision (offer, no update, blocked, failed, unknown app).</summary>
    public void CheckDecided(string transport, Outcome outcome, long startedTimestamp)
    {
        var row = transport == Grpc ? 0 : 1;
        Interlocked.Increment(ref _decided[(row * Outcomes.Count) + (int)outcome]);
        RecordDuration(transport, startedTimestamp);
    }

    /// <summary>A check refused before any decision, with the error code of its reply.</summary>
    public void CheckRejected(string transport, string code, long startedTimestamp)
    {
        Interlocked.Increment(ref _rejected.GetOrAdd((transport, code), static _ => new StrongBox<long>()).Value);
        RecordDuration(transport, startedTimestamp);
    }

    private void RecordDuration(string transport, long startedTimestamp)
    {
        // Random, not every N-th: a counter shared by every request thread would contend.
        if (_sampleEvery == 1 || Random.Shared.Next(_sampleEvery) == 0)
        {
            _duration.Record(_time.GetElapsedTime(startedTimestamp).TotalSeconds, new KeyValuePair<string, object?>("transport", transport));
        }
    }

    /// <summary>The non-zero counts, with the tags the plugin-facing dashboards read: transport, kind, code.</summary>
    private IEnumerable<Measurement<long>> ReportChecks()
    {
        for (var row = 0; row < Transports.Length; row++)
        {
            for (var outcome = 0; outcome < Outcomes.Count; outcome++)
            {
                var count = Volatile.Read(ref _decided[(row * Outcomes.Count) + outcome]);
                if (count > 0)
                {
                    yield return Checks(count, Transports[row], KindOf((Outcome)outcome), Outcomes.Code((Outcome)outcome));
                }
            }
        }

        foreach (var (key, box) in _rejected)
        {
            yield return Checks(Volatile.Read(ref box.Value), key.Transport, Rejected, key.Code);
        }
    }

    private static Measurement<long> Checks(long count, string transport, string kind, string code) =>
        new(count, new KeyValuePair<string, object?>("transport", transport), new("kind", kind), new("code", code));

    private static string KindOf(Outcome outcome) =>
        Outcomes.KindName(Outcomes.Kind(outcome)) ?? (outcome == Outcome.UpdateAvailable ? "update" : Rejected);

    public void SyncApplied(string type) => _syncEvents.Add(1, new KeyValuePair<string, object?>("type", type));
}

using System.Diagnostics.Metrics;
using Capgo.Edge.ControlPlane.Analytics;
using Capgo.Edge.Redis;
using OpenTelemetry.Metrics;
using StackExchange.Redis;

namespace Capgo.Edge.ControlPlane.Service;

/// <summary>
/// Meter <c>Capgo.Edge.ControlPlane</c>, exported on <c>/metrics</c> (Prometheus): the consumer's lag
/// (entries of the streams the group has not read yet, over every event shard), what it counted and
/// skipped, and guard trips.
/// </summary>
internal sealed class ServiceMetrics
{
    public const string MeterName = "Capgo.Edge.ControlPlane";
    private readonly Counter<long> _trips;
    private readonly IDatabase _db;
    private readonly RedisLayout _layout;

    public ServiceMetrics(IMeterFactory meters, IConnectionMultiplexer redis, RedisLayout layout, AnalyticsConsumer[] consumers)
    {
        _db = redis.GetDatabase();
        _layout = layout;
        var meter = meters.Create(MeterName);
        meter.CreateObservableGauge("capgo_controlplane_consumer_lag", ReadLag, description: "Stream entries the analytics group has not read yet (Redis's own count).");
        meter.CreateObservableCounter("capgo_controlplane_events_counted", () => consumers.Sum(static c => c.Counted), description: "Stream entries this consumer counted (and acknowledged).");
        meter.CreateObservableCounter("capgo_controlplane_events_malformed", () => ReadCount("malformed"), description: "Stream entries skipped as malformed, by every consumer.");
        _trips = meter.CreateCounter<long>("capgo_controlplane_guard_trips", description: "Rollouts paused by their guard.");
    }

    public void GuardTripped(GuardTrip trip) =>
        _trips.Add(1, new KeyValuePair<string, object?>("app", trip.AppId), new KeyValuePair<string, object?>("channel", trip.Channel));

    private long ReadLag()
    {
        try
        {
            return _layout.EventShards.Sum(shard => _db.StreamGroupInfo(shard.Events).FirstOrDefault(static g => g.Name == RedisLayout.AnalyticsGroup).Lag ?? 0);
        }
        catch (RedisException)
        {
            return -1;
        }
    }

    private long ReadCount(string field)
    {
        try
        {
            return _layout.EventShards.Sum(shard => (long)_db.HashGet(shard.AnalyticsCounts, field));
        }
        catch (RedisException)
        {
            return 0;
        }
    }
}

internal static class MetricsSetup
{
    public static IServiceCollection AddControlPlaneMetrics(this IServiceCollection services)
    {
        services.AddSingleton<ServiceMetrics>();
        services.AddOpenTelemetry().WithMetrics(static m => m.AddMeter(ServiceMetrics.MeterName).AddPrometheusExporter());
        return services;
    }

    public static WebApplication MapControlPlaneMetrics(this WebApplication app)
    {
        _ = app.Services.GetRequiredService<ServiceMetrics>();
        app.MapPrometheusScrapingEndpoint("/metrics");
        return app;
    }
}

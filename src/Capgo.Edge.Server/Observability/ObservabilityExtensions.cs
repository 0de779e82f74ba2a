using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;

namespace Capgo.Edge.Server.Observability;

internal static class ObservabilityExtensions
{
    /// <summary>Metrics (OpenTelemetry → Prometheus).</summary>
    public static IServiceCollection AddEdgeObservability(this IServiceCollection services)
    {
        services.AddSingleton<EdgeMetrics>();
        services.AddOptions<MetricsOptions>().BindConfiguration(MetricsOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOpenTelemetry()
            .ConfigureResource(static resource => resource.AddService("capgo-edge"))
            .WithMetrics(static metrics => metrics
            .AddMeter(EdgeMetrics.MeterName)
            .AddView(EdgeMetrics.CheckDuration, new ExplicitBucketHistogramConfiguration
            {
                // Checks take microseconds: the default millisecond buckets would put all in the first.
                Boundaries = [0.000005, 0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.01, 0.1],
            })
            .AddPrometheusExporter());
        return services;
    }

    /// <summary>
    /// <c>/metrics</c> on the admin group: the gauges carry every app id as a label, the very list the
    /// abuse guard keeps from strangers.
    /// </summary>
    public static IEndpointRouteBuilder MapEdgeObservability(this IEndpointRouteBuilder admin)
    {
        // The instruments exist from the start, so gauges are exported before the first check.
        _ = admin.ServiceProvider.GetRequiredService<EdgeMetrics>();
        admin.MapPrometheusScrapingEndpoint("/metrics");
        return admin;
    }
}

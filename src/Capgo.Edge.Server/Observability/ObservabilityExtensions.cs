using Capgo.Edge.Core;
using Capgo.Edge.Server.Projection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;

namespace Capgo.Edge.Server.Observability;

internal static class ObservabilityExtensions
{
    /// <summary>Metrics (OpenTelemetry → Prometheus) and the gRPC health service.</summary>
    public static IServiceCollection AddEdgeObservability(this IServiceCollection services)
    {
        services.AddSingleton<EdgeMetrics>();
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
        services.AddGrpcHealthChecks().AddCheck<ProjectionHealthCheck>("projection");
        return services;
    }

    public static IEndpointRouteBuilder MapEdgeObservability(this IEndpointRouteBuilder endpoints)
    {
        // The instruments exist from the start, so gauges are exported before the first check.
        _ = endpoints.ServiceProvider.GetRequiredService<EdgeMetrics>();
        endpoints.MapPrometheusScrapingEndpoint("/metrics");
        endpoints.MapGrpcHealthChecksService();
        return endpoints;
    }

    /// <summary>Serving once a projection is loaded; degraded while its source is unreachable.</summary>
    private sealed class ProjectionHealthCheck(ProjectionStore store, ProjectionHealth health) : IHealthCheck
    {
        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
            Task.FromResult(!store.IsLoaded
                ? HealthCheckResult.Unhealthy(health.Problem ?? "no projection loaded yet")
                : health.IsDegraded ? HealthCheckResult.Degraded(health.Problem) : HealthCheckResult.Healthy($"{store.Count} apps"));
    }
}

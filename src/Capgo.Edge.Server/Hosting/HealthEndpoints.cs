using System.Text.Json.Serialization;
using Capgo.Edge.Core;
using Capgo.Edge.Server.Plugin;
using Capgo.Edge.Server.Projection;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Capgo.Edge.Server.Hosting;

/// <summary>
/// Health: one check, <see cref="ProjectionHealthCheck"/>, tagged <c>ready</c>, answers
/// <c>/healthz/ready</c> and the gRPC health service; <c>/healthz/live</c> runs no check (the process answers).
/// </summary>
internal static class HealthEndpoints
{
    public const string ReadyTag = "ready";

    /// <summary>Probes are GETs; any other method is not a route here (404), as for every plugin path.</summary>
    private static readonly HttpMethodMetadata GetOnly = new([HttpMethods.Get]);

    public static IServiceCollection AddEdgeHealth(this IServiceCollection services)
    {
        services.AddHealthChecks().AddCheck<ProjectionHealthCheck>("projection", tags: [ReadyTag]);
        services.AddGrpcHealthChecks();
        return services;
    }

    /// <summary>
    /// <c>/healthz/live</c>: 200 while the process runs. <c>/healthz/ready</c>: 200 once a projection
    /// is loaded (<c>degraded</c>, with the reason, while its source is unreachable), 503 before.
    /// </summary>
    public static IEndpointRouteBuilder MapEdgeHealth(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapHealthChecks("/healthz/live", new HealthCheckOptions
        {
            Predicate = static _ => false,
            ResponseWriter = static (context, _) => PluginReplies.JsonAsync(context, StatusCodes.Status200OK, LiveReply.Live, HealthJson.Wire.LiveReply),
        }).WithMetadata(GetOnly);
        endpoints.MapHealthChecks("/healthz/ready", new HealthCheckOptions
        {
            Predicate = static check => check.Tags.Contains(ReadyTag),
            ResultStatusCodes =
            {
                [HealthStatus.Healthy] = StatusCodes.Status200OK,
                [HealthStatus.Degraded] = StatusCodes.Status200OK,
                [HealthStatus.Unhealthy] = StatusCodes.Status503ServiceUnavailable,
            },
            ResponseWriter = WriteReadyAsync,
        }).WithMetadata(GetOnly);
        endpoints.MapGrpcHealthChecksService();
        return endpoints;
    }

    private static Task WriteReadyAsync(HttpContext context, HealthReport report)
    {
        var entry = report.Entries["projection"];
        var body = new ReadyReply(
            entry.Status switch
            {
                HealthStatus.Healthy => "ready",
                HealthStatus.Degraded => "degraded",
                _ => "not_ready",
            },
            (int)entry.Data[ProjectionHealthCheck.Apps],
            (string)entry.Data[ProjectionHealthCheck.Source],
            entry.Description,
            (long)entry.Data[ProjectionHealthCheck.LastSync]);
        return PluginReplies.JsonAsync(context, context.Response.StatusCode, body, HealthJson.Wire.ReadyReply);
    }

    /// <summary>Healthy once a projection is loaded; degraded while its source is unreachable; unhealthy before.</summary>
    private sealed class ProjectionHealthCheck(ProjectionStore store, ProjectionHealth health) : IHealthCheck
    {
        public const string Apps = "apps";
        public const string Source = "source";
        public const string LastSync = "lastSyncUnixMs";

        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            var data = new Dictionary<string, object>
            {
                [Apps] = store.Count,
                [Source] = health.Mode,
                [LastSync] = health.LastSyncUnixMs,
            };
            return Task.FromResult(!store.IsLoaded
                ? HealthCheckResult.Unhealthy(health.Problem ?? "no projection loaded yet", data: data)
                : health.IsDegraded ? HealthCheckResult.Degraded(health.Problem, data: data) : HealthCheckResult.Healthy(null, data));
        }
    }
}

internal sealed record LiveReply([property: JsonPropertyName("status")] string Status)
{
    public static LiveReply Live { get; } = new("live");
}

internal sealed record ReadyReply(
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("apps")] int Apps,
    [property: JsonPropertyName("source")] string Source,
    [property: JsonPropertyName("problem")] string? Problem,
    [property: JsonPropertyName("lastSyncUnixMs")] long LastSyncUnixMs);

[JsonSerializable(typeof(LiveReply))]
[JsonSerializable(typeof(ReadyReply))]
internal sealed partial class HealthJson : JsonSerializerContext
{
    /// <summary>Relaxed escaping, as ASP.NET Core writes: a problem's text stays readable.</summary>
    public static HealthJson Wire { get; } = new(new System.Text.Json.JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
}

using Capgo.Edge.Core;
using Capgo.Edge.Server.Projection;

namespace Capgo.Edge.Server.Hosting;

internal static class HealthEndpoints
{
    /// <summary>
    /// <c>/healthz/live</c>: the process answers. <c>/healthz/ready</c>: a projection is loaded (200,
    /// with <c>degraded</c> details while its source is unreachable) or not yet (503, with the reason).
    /// </summary>
    public static IEndpointRouteBuilder MapEdgeHealth(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/healthz/live", static () => Results.Ok(new { status = "live" }));
        endpoints.MapGet("/healthz/ready", static (ProjectionStore store, ProjectionHealth health) =>
        {
            var body = new
            {
                status = store.IsLoaded ? (health.IsDegraded ? "degraded" : "ready") : "not_ready",
                apps = store.Count,
                source = health.Mode,
                problem = health.Problem ?? (store.IsLoaded ? null : "no projection loaded yet"),
                lastSyncUnixMs = health.LastSyncUnixMs,
            };
            return store.IsLoaded ? Results.Ok(body) : Results.Json(body, statusCode: StatusCodes.Status503ServiceUnavailable);
        });
        return endpoints;
    }
}

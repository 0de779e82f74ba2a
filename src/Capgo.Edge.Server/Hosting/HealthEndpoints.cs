using Capgo.Edge.Core;

namespace Capgo.Edge.Server.Hosting;

internal static class HealthEndpoints
{
    /// <summary><c>/healthz/live</c>: the process answers. <c>/healthz/ready</c>: a projection is loaded.</summary>
    public static IEndpointRouteBuilder MapEdgeHealth(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/healthz/live", static () => Results.Ok(new { status = "live" }));
        endpoints.MapGet("/healthz/ready", static (ProjectionStore store) => store.IsLoaded
            ? Results.Ok(new { status = "ready", apps = store.Count })
            : Results.Json(new { status = "not_ready", apps = store.Count, reason = "no projection loaded yet" }, statusCode: StatusCodes.Status503ServiceUnavailable));
        return endpoints;
    }
}

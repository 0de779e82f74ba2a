using Capgo.Edge.Server.Plugin;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Capgo.Edge.Server.Hosting;

/// <summary>
/// Health: one check, <see cref="ProjectionHealthCheck"/>, tagged <c>ready</c>. The public ports answer
/// <c>/healthz/live</c> (no check: the process answers), <c>/healthz/ready</c> and the gRPC health
/// service with a status and nothing else; the admin endpoint's <c>/healthz</c> adds each check's
/// reason code and data (<see cref="MapEdgeHealthDetails"/>).
/// </summary>
internal static class HealthEndpoints
{
    public const string ReadyTag = "ready";

    /// <summary>Probes are GETs; any other method is not a route here (404), as for every plugin path.</summary>
    private static readonly HttpMethodMetadata GetOnly = new([HttpMethods.Get]);

    public static IServiceCollection AddEdgeHealth(this IServiceCollection services)
    {
        services.AddHealthChecks().AddCheck<ProjectionHealthCheck>(ProjectionHealthCheck.Name, tags: [ReadyTag]);
        services.AddGrpcHealthChecks();
        return services;
    }

    /// <summary>
    /// <c>/healthz/live</c>: 200 while the process runs. <c>/healthz/ready</c>: 200 once a projection
    /// is loaded (<c>degraded</c> while its source is unreachable), 503 before. The body is the status
    /// word: which apps, sources and failures lie behind it is the admin endpoint's to tell.
    /// </summary>
    public static IEndpointRouteBuilder MapEdgeHealth(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapHealthChecks("/healthz/live", new HealthCheckOptions
        {
            Predicate = static _ => false,
            ResponseWriter = static (context, _) => PluginReplies.JsonAsync(context, StatusCodes.Status200OK, StatusReply.Live, HealthJson.Wire.StatusReply),
        }).WithMetadata(GetOnly);
        endpoints.MapHealthChecks("/healthz/ready", Options(
            static check => check.Tags.Contains(ReadyTag),
            static (context, report) => PluginReplies.JsonAsync(context, context.Response.StatusCode, new StatusReply(StatusReply.Word(report.Status)), HealthJson.Wire.StatusReply)))
            .WithMetadata(GetOnly);
        endpoints.MapGrpcHealthChecksService();
        return endpoints;
    }

    /// <summary>
    /// <c>/healthz</c> on the admin group: every check with its status, reason code and data, with the
    /// readiness status code.
    /// </summary>
    public static IEndpointRouteBuilder MapEdgeHealthDetails(this IEndpointRouteBuilder admin)
    {
        admin.MapHealthChecks("/healthz", Options(
            static _ => true,
            static (context, report) => PluginReplies.JsonAsync(context, context.Response.StatusCode, HealthDetailsReply.From(report), HealthJson.Wire.HealthDetailsReply)))
            .WithMetadata(GetOnly);
        return admin;
    }

    private static HealthCheckOptions Options(Func<HealthCheckRegistration, bool> predicate, Func<HttpContext, HealthReport, Task> writer) => new()
    {
        Predicate = predicate,
        ResultStatusCodes =
        {
            [HealthStatus.Healthy] = StatusCodes.Status200OK,
            [HealthStatus.Degraded] = StatusCodes.Status200OK,
            [HealthStatus.Unhealthy] = StatusCodes.Status503ServiceUnavailable,
        },
        ResponseWriter = writer,
    };
}

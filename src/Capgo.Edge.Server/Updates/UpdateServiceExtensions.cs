namespace Capgo.Edge.Server.Updates;

internal static class UpdateServiceExtensions
{
    /// <summary>gRPC plus JSON transcoding of the update service, and the HTTP API's limits.</summary>
    public static IServiceCollection AddEdgeUpdates(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<HttpApiOptions>()
            .Bind(configuration.GetSection(HttpApiOptions.Section))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddSingleton<CheckEvaluator>();
        services.AddGrpc(static options => options.EnableDetailedErrors = false)
            .AddJsonTranscoding(static options => options.JsonSettings.IgnoreDefaultValues = true);
        return services;
    }

    public static IApplicationBuilder UseEdgePluginJsonGuard(this IApplicationBuilder app) =>
        app.UseMiddleware<PluginJsonGuardMiddleware>();

    public static IEndpointRouteBuilder MapEdgeUpdates(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGrpcService<UpdateServiceImpl>();
        return endpoints;
    }
}

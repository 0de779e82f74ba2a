using Capgo.Edge.Server.Admission;

namespace Capgo.Edge.Server.Updates;

internal static class UpdateServiceExtensions
{
    /// <summary>The update service: gRPC (with JSON transcoding of the proto's routes) and the JSON check endpoint.</summary>
    public static IServiceCollection AddEdgeUpdates(this IServiceCollection services)
    {
        services.AddSingleton<CheckEvaluator>();
        services.AddSingleton<JsonCheckEndpoint>();
        services.AddSingleton<RawEchoEndpoint>();
        services.AddOptions<EchoOptions>().BindConfiguration(EchoOptions.Section).ValidateOnStart();
        services.AddGrpc(static options => options.EnableDetailedErrors = false)
            .AddJsonTranscoding(static options => options.JsonSettings.IgnoreDefaultValues = true);
        services.AddEdgeGrpcMessageLimits();
        services.AddGrpcReflection();
        return services;
    }

    /// <summary>
    /// <c>CheckForUpdate</c> and <c>Echo</c> over gRPC, the proto's JSON routes through transcoding,
    /// and <c>POST /updates</c> through <see cref="JsonCheckEndpoint"/>; <c>POST /echo/raw</c>, the HTTP baseline. Transcoding registers the
    /// same route for <c>CheckForUpdate</c> (it is the reference the endpoint's replies are tested
    /// against); the endpoint's lower order makes routing choose it.
    /// </summary>
    public static IEndpointRouteBuilder MapEdgeUpdates(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGrpcService<UpdateServiceImpl>().WithGrpcMessageLimits();
        endpoints.MapGrpcReflectionService();
        // Resolved on the first request, not here: its options are validated when the host starts.
        JsonCheckEndpoint? check = null;
        endpoints.MapPost(JsonCheckEndpoint.Route, context => (check ??= context.RequestServices.GetRequiredService<JsonCheckEndpoint>()).HandleAsync(context))
            .WithOrder(-1)
            .WithDisplayName("CheckForUpdate (HTTP JSON)")
            .AsPluginRoute();
        RawEchoEndpoint? echo = null;
        endpoints.MapPost(RawEchoEndpoint.Route, context => (echo ??= context.RequestServices.GetRequiredService<RawEchoEndpoint>()).HandleAsync(context))
            .WithDisplayName("Echo (raw HTTP)");
        return endpoints;
    }
}

using Capgo.Edge.Server.Admission;

namespace Capgo.Edge.Server.Plugin;

/// <summary>
/// <c>/channel_self</c> (plugin-endpoints.md) over HTTP: each method reads its request
/// (<see cref="ChannelSelfRequests"/>), asks <see cref="ChannelSelfService"/> and writes the answer.
/// </summary>
internal static class ChannelSelfEndpoints
{
    private const string Path = "/channel_self";

    public static IServiceCollection AddEdgeChannelSelf(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton<ChannelSelfLimiter>();
        services.AddSingleton<ChannelSelfService>();
        services.AddOverrideWriter(configuration);
        return services;
    }

    public static IEndpointRouteBuilder MapEdgeChannelSelf(this IEndpointRouteBuilder endpoints)
    {
        // Every method takes a token from the client network's bucket: GET reveals which apps exist, the others may write.
        endpoints.MapPost(Path, static (HttpContext context, ChannelSelfService service, PluginBodyReader bodies) => SetAsync(context, service, bodies))
            .AsPluginRoute(AdmissionExtensions.ChannelSelfPolicy);
        endpoints.MapPut(Path, static (HttpContext context, ChannelSelfService service, PluginBodyReader bodies) => GetAsync(context, service, bodies))
            .AsPluginRoute(AdmissionExtensions.ChannelSelfPolicy);
        endpoints.MapDelete(Path, static (HttpContext context, ChannelSelfService service) => UnsetAsync(context, service))
            .AsPluginRoute(AdmissionExtensions.ChannelSelfPolicy);
        endpoints.MapGet(Path, static (HttpContext context, ChannelSelfService service) => ListAsync(context, service))
            .AsPluginRoute(AdmissionExtensions.ChannelSelfPolicy);
        return endpoints;
    }

    // POST: set.
    private static async Task SetAsync(HttpContext context, ChannelSelfService service, PluginBodyReader bodies)
    {
        if (await ChannelSelfRequests.ReadBodyAsync(context, bodies, service).ConfigureAwait(false) is { } request)
        {
            await WriteAsync(context, await service.SetAsync(request).ConfigureAwait(false)).ConfigureAwait(false);
        }
    }

    // PUT: get.
    private static async Task GetAsync(HttpContext context, ChannelSelfService service, PluginBodyReader bodies)
    {
        if (await ChannelSelfRequests.ReadBodyAsync(context, bodies, service).ConfigureAwait(false) is { } request)
        {
            await WriteAsync(context, service.Get(request)).ConfigureAwait(false);
        }
    }

    // DELETE: unset (query parameters).
    private static async Task UnsetAsync(HttpContext context, ChannelSelfService service)
    {
        if (await ChannelSelfRequests.ReadQueryAsync(context, service).ConfigureAwait(false) is { } request)
        {
            await WriteAsync(context, await service.UnsetAsync(request).ConfigureAwait(false)).ConfigureAwait(false);
        }
    }

    // GET: the channels this device may choose.
    private static async Task ListAsync(HttpContext context, ChannelSelfService service)
    {
        if (ChannelSelfRequests.ReadListQuery(context.Request.Query, out var query) is { } invalid)
        {
            await PluginReplies.ErrorAsync(context, StatusCodes.Status400BadRequest, invalid).ConfigureAwait(false);
            return;
        }

        if (service.Find(context, query.AppId) is not { IsActive: true } app)
        {
            await PluginReplies.OnPremiseAppAsync(context).ConfigureAwait(false);
            return;
        }

        await PluginReplies.JsonAsync(context, StatusCodes.Status200OK, ChannelSelfService.List(app, query), PluginJson.Relaxed.ChannelListItemArray).ConfigureAwait(false);
    }

    private static Task WriteAsync(HttpContext context, ChannelSelfAnswer answer) => answer switch
    {
        { RetryAfterSeconds: { } seconds } => PluginReplies.TooManyRequestsAsync(context, seconds, answer.LimitMessage ?? ChannelSelfService.TooManyRequestsMessage),
        { StoreFailure: { } failure } => PluginReplies.ErrorAsync(context, StatusCodes.Status503ServiceUnavailable, failure),
        { Error: { } error } => PluginReplies.JsonAsync(context, StatusCodes.Status200OK, error, PluginJson.Relaxed.ErrorReply),
        _ => PluginReplies.JsonAsync(context, StatusCodes.Status200OK, answer.Reply!, PluginJson.Relaxed.ChannelReply),
    };
}

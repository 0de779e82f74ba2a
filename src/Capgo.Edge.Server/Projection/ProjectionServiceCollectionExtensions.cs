using Capgo.Edge.Core;
using Capgo.Edge.Redis;

namespace Capgo.Edge.Server.Projection;

internal static class ProjectionServiceCollectionExtensions
{
    /// <summary>
    /// The in-memory projection and its source: Redis when <c>ConnectionStrings:Redis</c> is set,
    /// otherwise the standalone folder of app documents.
    /// </summary>
    public static IServiceCollection AddEdgeProjection(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<ProjectionStore>();
        services.AddSingleton<ProjectionHealth>();
        services.AddEdgeRedis(configuration);

        if (!string.IsNullOrWhiteSpace(configuration.GetConnectionString("Redis")))
        {
            services.AddEdgeRedisSync<ProjectionHealth>(configuration);
            return services;
        }

        services.AddOptions<ProjectionOptions>()
            .Bind(configuration.GetSection(ProjectionOptions.Section))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddHostedService<DirectoryProjectionSource>();
        return services;
    }
}

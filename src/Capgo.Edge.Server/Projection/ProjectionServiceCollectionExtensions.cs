using Capgo.Edge.Core;

namespace Capgo.Edge.Server.Projection;

internal static class ProjectionServiceCollectionExtensions
{
    /// <summary>The in-memory projection and, with no Redis configured, the standalone folder source.</summary>
    public static IServiceCollection AddEdgeProjection(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<ProjectionOptions>()
            .Bind(configuration.GetSection(ProjectionOptions.Section))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<ProjectionStore>();
        services.AddHostedService<DirectoryProjectionSource>();
        return services;
    }
}

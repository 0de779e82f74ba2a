using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Capgo.Edge.Server.Admin;

/// <summary>
/// The admin endpoint (<c>Kestrel:Endpoints:Admin</c>): the routes that tell about the edge itself —
/// explain, detailed health, metrics — served on its port only and only with the key. Without it they
/// are not mapped at all; the public ports answer bare liveness and readiness.
/// </summary>
internal static class AdminEndpoints
{
    public static IServiceCollection AddEdgeAdmin(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<AdminOptions>()
            .Bind(configuration.GetSection(AdminOptions.Section))
            .Configure(options => options.Port = AdminOptions.PortOf(configuration))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<MatcherPolicy, LocalPortMatcherPolicy>());
        return services;
    }

    /// <summary>Maps <paramref name="routes"/> on the admin port, behind the key; nothing when the endpoint is off.</summary>
    public static IEndpointRouteBuilder MapEdgeAdmin(this IEndpointRouteBuilder endpoints, Action<IEndpointRouteBuilder> routes)
    {
        // Read from configuration, not the validated options: a missing key fails the start, not the build.
        var port = AdminOptions.PortOf(endpoints.ServiceProvider.GetRequiredService<IConfiguration>());
        if (port > 0)
        {
            var admin = endpoints.MapGroup("");
            admin.RequireLocalPort(port).AddEndpointFilter<AdminKeyFilter>();
            routes(admin);
        }

        return endpoints;
    }
}

using Capgo.Edge.Redis;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Capgo.Edge.Server.Events;

internal static class EventsServiceCollectionExtensions
{
    /// <summary>
    /// The device-event path to the control plane: <see cref="EventQueue"/> (what handlers call) and
    /// <see cref="EventForwarder"/> (which drains it into <c>{Sync:Prefix}events</c> through the Redis
    /// layer's <see cref="EventStreamWriter"/> when <c>ConnectionStrings:Redis</c> is set).
    /// </summary>
    public static IServiceCollection AddEdgeEvents(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<EventOptions>()
            .Bind(configuration.GetSection(EventOptions.Section))
            .ValidateDataAnnotations()
            .ValidateOnStart();

        var connection = configuration.GetConnectionString("Redis");
        services.AddSingleton(new EventSink(string.IsNullOrWhiteSpace(connection) ? null : connection));
        services.AddEdgeRedis(configuration);
        services.TryAddSingleton(TimeProvider.System);
        services.AddMetrics();
        services.AddSingleton<EventQueue>();
        services.AddHostedService<EventForwarder>();
        return services;
    }
}

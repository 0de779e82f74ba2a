using Capgo.Edge.ControlPlane;
using Capgo.Edge.Server.Projection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Capgo.Edge.Server.Events;

internal static class EventsServiceCollectionExtensions
{
    /// <summary>
    /// The device-event path to the control plane: <see cref="EventQueue"/> (what handlers call) and
    /// <see cref="RedisStreamWriter"/> (which drains it into <c>{Sync:Prefix}events</c> when
    /// <c>ConnectionStrings:Redis</c> is set).
    /// </summary>
    public static IServiceCollection AddEdgeEvents(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<EventOptions>()
            .Bind(configuration.GetSection(EventOptions.Section))
            .ValidateDataAnnotations()
            .ValidateOnStart();

        var connection = configuration.GetConnectionString("Redis");
        var prefix = configuration[SyncOptions.Section + ":" + nameof(SyncOptions.Prefix)];
        var layout = new RedisLayout(string.IsNullOrEmpty(prefix) ? RedisLayout.DefaultPrefix : prefix);
        var edgeName = configuration[SyncOptions.Section + ":" + nameof(SyncOptions.EdgeName)];
        services.AddSingleton(new EventSink(
            string.IsNullOrWhiteSpace(connection) ? null : connection,
            layout.Events.ToString(),
            string.IsNullOrEmpty(edgeName) ? $"{Environment.MachineName}-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..6]}" : edgeName));

        services.TryAddSingleton(TimeProvider.System);
        services.AddMetrics();
        services.AddSingleton<EventQueue>();
        services.AddHostedService<RedisStreamWriter>();
        return services;
    }
}

using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Capgo.Edge.Redis;

public static class RedisServiceCollectionExtensions
{
    /// <summary>
    /// The Redis layer, in every mode: <see cref="SyncOptions"/> (validated at start), the one
    /// <see cref="EdgeIdentity"/>, the <see cref="RedisLayout"/>, one connection per credential, and the
    /// event-stream and override writers on them. Each feature that uses Redis calls it; the first
    /// call registers.
    /// </summary>
    public static IServiceCollection AddEdgeRedis(this IServiceCollection services, IConfiguration configuration)
    {
        if (services.Any(static d => d.ServiceType == typeof(RedisConnections)))
        {
            return services;
        }

        services.AddOptions<SyncOptions>()
            .Bind(configuration.GetSection(SyncOptions.Section))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddOptions<EventShardOptions>()
            .Bind(configuration.GetSection(EventShardOptions.Section))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(static sp => new EdgeIdentity(sp.GetRequiredService<IOptions<SyncOptions>>().Value.EdgeName));
        services.AddSingleton(static sp => new RedisLayout(
            sp.GetRequiredService<IOptions<SyncOptions>>().Value.Prefix,
            sp.GetRequiredService<IOptions<EventShardOptions>>().Value.Shards));
        services.AddSingleton(sp => new RedisConnections(
            configuration.GetConnectionString("Redis"),
            configuration.GetConnectionString("RedisPublisher"),
            sp.GetRequiredService<EdgeIdentity>()));
        services.AddSingleton<EventStreamWriter>();
        services.AddSingleton<OverrideWriter>();
        services.AddHostedService(static sp => new ClusterLayoutGuard(
            sp.GetRequiredService<RedisConnections>() is { HasEdge: true } connections ? connections.EdgeAsync : null,
            sp.GetRequiredService<RedisLayout>(),
            sp.GetRequiredService<IHostApplicationLifetime>(),
            sp.GetRequiredService<ILogger<ClusterLayoutGuard>>()));
        return services;
    }

    /// <summary>
    /// Redis mode's sync (docs/sync.md): the loop that keeps the <c>ProjectionStore</c> in step with
    /// Redis, reporting to <typeparamref name="THealth"/> (a registered singleton).
    /// </summary>
    public static IServiceCollection AddEdgeRedisSync<THealth>(this IServiceCollection services, IConfiguration configuration)
        where THealth : class, ISyncHealth
    {
        services.AddEdgeRedis(configuration);
        services.AddSingleton<ISyncHealth>(static sp => sp.GetRequiredService<THealth>());
        services.AddSingleton<SyncStatus>();
        services.AddSingleton<EdgePresence>();
        services.AddSingleton<ProjectionReader>();
        services.AddSingleton<ChangeCounter>();
        services.AddSingleton<Reconciler>();
        services.AddSingleton<AnnouncementApplier>();
        services.AddSingleton<LastKnownGood>();
        services.AddHostedService<SyncLoop>();
        services.AddHostedService<LastKnownGoodWriter>();
        return services;
    }
}

using Capgo.Edge.Redis;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Capgo.Edge.ControlPlane.Service;

/// <summary>
/// One multiplexer on <c>ConnectionStrings:Redis</c> (publisher rights: the service writes aggregates
/// and pauses rollouts) and the key layout under <c>Sync:Prefix</c>, the edges' prefix, with the edges'
/// <c>Events:Shards</c> event shards. On Redis Cluster, a prefix without a hash tag stops the service
/// (<see cref="ClusterLayoutGuard"/>).
/// </summary>
internal static class RedisSetup
{
    public static IServiceCollection AddControlPlaneRedis(this IServiceCollection services, IConfiguration configuration)
    {
        var connection = configuration.GetConnectionString("Redis");
        if (string.IsNullOrWhiteSpace(connection))
        {
            throw new InvalidOperationException("ConnectionStrings:Redis is required: the control-plane service reads the events edges write there");
        }

        services.AddSingleton(TimeProvider.System);
        services.AddOptions<EventShardOptions>().Bind(configuration.GetSection(EventShardOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton(sp => new RedisLayout(
            configuration["Sync:Prefix"] is { Length: > 0 } prefix ? prefix : RedisLayout.DefaultPrefix,
            sp.GetRequiredService<IOptions<EventShardOptions>>().Value.Shards));
        services.AddSingleton<IConnectionMultiplexer>(_ =>
        {
            var config = ConfigurationOptions.Parse(connection);
            config.AbortOnConnectFail = false;
            config.ClientName ??= "capgo-control-plane";
            return ConnectionMultiplexer.Connect(config);
        });
        services.AddHostedService(static sp => new ClusterLayoutGuard(
            () => Task.FromResult(sp.GetRequiredService<IConnectionMultiplexer>()),
            sp.GetRequiredService<RedisLayout>(),
            sp.GetRequiredService<IHostApplicationLifetime>(),
            sp.GetRequiredService<ILogger<ClusterLayoutGuard>>()));
        return services;
    }
}

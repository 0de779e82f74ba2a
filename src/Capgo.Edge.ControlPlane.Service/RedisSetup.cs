using Capgo.Edge.Redis;
using StackExchange.Redis;

namespace Capgo.Edge.ControlPlane.Service;

/// <summary>
/// One multiplexer on <c>ConnectionStrings:Redis</c> (publisher rights: the service writes aggregates
/// and pauses rollouts) and the key layout under <c>Sync:Prefix</c>, the edges' prefix.
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
        services.AddSingleton(new RedisLayout(configuration["Sync:Prefix"] is { Length: > 0 } prefix ? prefix : RedisLayout.DefaultPrefix));
        services.AddSingleton<IConnectionMultiplexer>(_ =>
        {
            var config = ConfigurationOptions.Parse(connection);
            config.AbortOnConnectFail = false;
            config.ClientName ??= "capgo-control-plane";
            return ConnectionMultiplexer.Connect(config);
        });
        return services;
    }
}

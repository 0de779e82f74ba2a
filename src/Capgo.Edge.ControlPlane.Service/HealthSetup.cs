using Microsoft.Extensions.Diagnostics.HealthChecks;
using StackExchange.Redis;

namespace Capgo.Edge.ControlPlane.Service;

/// <summary><c>/healthz/ready</c> (Redis answers a PING) and <c>/healthz/live</c>, like the edge's; status words only.</summary>
internal static class HealthSetup
{
    public static IServiceCollection AddControlPlaneHealth(this IServiceCollection services)
    {
        services.AddHealthChecks().AddCheck<RedisHealthCheck>("redis", tags: ["ready"]);
        return services;
    }

    public static WebApplication MapControlPlaneHealth(this WebApplication app)
    {
        app.MapHealthChecks("/healthz/ready", new() { Predicate = static c => c.Tags.Contains("ready") }).WithMetadata(new HttpMethodMetadata(["GET"]));
        app.MapHealthChecks("/healthz/live", new() { Predicate = static _ => false }).WithMetadata(new HttpMethodMetadata(["GET"]));
        return app;
    }

    private sealed class RedisHealthCheck(IConnectionMultiplexer redis) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            try
            {
                await redis.GetDatabase().PingAsync().ConfigureAwait(false);
                return HealthCheckResult.Healthy();
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException)
            {
                // The reason is a word: exception text can name hosts and ports.
                return HealthCheckResult.Unhealthy("redis_unreachable");
            }
        }
    }
}

using Capgo.Edge.ControlPlane.Analytics;
using Capgo.Edge.Redis;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Capgo.Edge.ControlPlane.Service;

internal static class AnalyticsSetup
{
    public static IServiceCollection AddControlPlaneAnalytics(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<AnalyticsOptions>().Bind(configuration.GetSection(AnalyticsOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton(static sp => new AnalyticsConsumer(
            sp.GetRequiredService<IConnectionMultiplexer>(),
            sp.GetRequiredService<RedisLayout>(),
            sp.GetRequiredService<IOptions<AnalyticsOptions>>().Value,
            sp.GetRequiredService<ILogger<AnalyticsConsumer>>()));
        services.AddHostedService<AnalyticsWorker>();
        return services;
    }
}

/// <summary>
/// Runs the event consumer for the life of the service. Redis going away pauses it (retried every
/// second); nothing in the stream is lost meanwhile: what was read and not yet counted stays pending.
/// </summary>
internal sealed partial class AnalyticsWorker(AnalyticsConsumer consumer, ILogger<AnalyticsWorker> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await consumer.RunAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException)
            {
                LogRedisFailed(logger, consumer.Name, ex.Message);
                await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken).ConfigureAwait(false);
            }
        }
    }

    [LoggerMessage(EventId = 3002, Level = LogLevel.Warning, Message = "Event consumer {Consumer} paused: {Reason}; retrying")]
    private static partial void LogRedisFailed(ILogger logger, string consumer, string reason);
}

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
        services.AddSingleton(static sp => sp.GetRequiredService<RedisLayout>().EventShards.Select(shard => new AnalyticsConsumer(
            sp.GetRequiredService<IConnectionMultiplexer>(),
            sp.GetRequiredService<RedisLayout>(),
            sp.GetRequiredService<IOptions<AnalyticsOptions>>().Value,
            sp.GetRequiredService<ILogger<AnalyticsConsumer>>(),
            shard.Index)).ToArray());
        services.AddHostedService<AnalyticsWorker>();
        return services;
    }
}

/// <summary>
/// Runs one event consumer per event shard for the life of the service, side by side. Redis going away
/// pauses a consumer (retried every second); nothing in the stream is lost meanwhile: what was read and
/// not yet counted stays pending.
/// </summary>
internal sealed partial class AnalyticsWorker(AnalyticsConsumer[] consumers, ILogger<AnalyticsWorker> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        await Task.WhenAll(consumers.Select(consumer => RunAsync(consumer, stoppingToken))).ConfigureAwait(false);
    }

    private async Task RunAsync(AnalyticsConsumer consumer, CancellationToken stoppingToken)
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
                LogRedisFailed(logger, consumer.Name, consumer.Shard.Index, ex.Message);
                await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken).ConfigureAwait(false);
            }
        }
    }

    [LoggerMessage(EventId = 3002, Level = LogLevel.Warning, Message = "Event consumer {Consumer} of shard {Shard} paused: {Reason}; retrying")]
    private static partial void LogRedisFailed(ILogger logger, string consumer, int shard, string reason);
}

using System.ComponentModel.DataAnnotations;
using Capgo.Edge.ControlPlane.Analytics;
using Capgo.Edge.ControlPlane.Stores;
using Capgo.Edge.Redis;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Capgo.Edge.ControlPlane.Service;

/// <summary>Rollout guards (section <c>Guards</c>).</summary>
internal sealed class GuardOptions
{
    public const string Section = "Guards";

    /// <summary>How often every guarded rollout is checked: a tripped guard pauses within this plus the consumer's lag.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00")]
    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(1);
}

internal static class GuardSetup
{
    public static IServiceCollection AddControlPlaneGuards(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<GuardOptions>().Bind(configuration.GetSection(GuardOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton(static sp => new ReleaseStats(sp.GetRequiredService<IConnectionMultiplexer>(), sp.GetRequiredService<RedisLayout>()));
        services.AddSingleton(static sp => new AppChanges(sp.GetRequiredService<RedisAppStore>()));
        services.AddSingleton(static sp => new RolloutGuardWatcher(
            sp.GetRequiredService<IConnectionMultiplexer>(),
            sp.GetRequiredService<RedisLayout>(),
            sp.GetRequiredService<AppChanges>(),
            sp.GetRequiredService<ReleaseStats>(),
            sp.GetRequiredService<ILogger<RolloutGuardWatcher>>()));
        services.AddHostedService<GuardWorker>();
        return services;
    }
}

/// <summary>Checks the guarded rollouts every <see cref="GuardOptions.Interval"/>; a failed pass is logged and the next one runs.</summary>
internal sealed partial class GuardWorker(RolloutGuardWatcher watcher, ServiceMetrics metrics, IOptions<GuardOptions> options, ILogger<GuardWorker> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.Interval);
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
        {
            try
            {
                foreach (var trip in await watcher.CheckAsync().ConfigureAwait(false))
                {
                    metrics.GuardTripped(trip);
                }
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException or PublishException)
            {
                LogPassFailed(logger, ex.Message);
            }
        }
    }

    [LoggerMessage(EventId = 3102, Level = LogLevel.Warning, Message = "A rollout guard pass failed: {Reason}; the next one retries")]
    private static partial void LogPassFailed(ILogger logger, string reason);
}

using System.Threading.RateLimiting;

namespace Capgo.Edge.Server.Plugin;

/// <summary>
/// Per-device limits of <c>/channel_self</c>: 5 operations per second per (app, device, operation),
/// and the same channel set at most once a minute. Idle partitions are dropped by the limiter, so
/// memory follows the active devices, not every device ever seen.
/// </summary>
internal sealed class ChannelSelfLimiter : IDisposable
{
    private readonly PartitionedRateLimiter<string> _operations = PartitionedRateLimiter.Create<string, string>(
        static key => RateLimitPartition.GetFixedWindowLimiter(key, static _ => new FixedWindowRateLimiterOptions
        {
            PermitLimit = 5,
            Window = TimeSpan.FromSeconds(1),
            QueueLimit = 0,
        }));

    private readonly PartitionedRateLimiter<string> _sameChannel = PartitionedRateLimiter.Create<string, string>(
        static key => RateLimitPartition.GetFixedWindowLimiter(key, static _ => new FixedWindowRateLimiterOptions
        {
            PermitLimit = 1,
            Window = TimeSpan.FromMinutes(1),
            QueueLimit = 0,
        }));

    /// <summary>Returns the seconds to wait when the operation is over its limit, else null.</summary>
    public int? TryOperation(string appId, string deviceId, string operation) =>
        Acquire(_operations, $"{appId}|{deviceId.ToLowerInvariant()}|{operation}", 1);

    public int? TrySetChannel(string appId, string deviceId, string channel) =>
        Acquire(_sameChannel, $"{appId}|{deviceId.ToLowerInvariant()}|{channel}", 60);

    private static int? Acquire(PartitionedRateLimiter<string> limiter, string key, int retryAfter)
    {
        using var lease = limiter.AttemptAcquire(key);
        if (lease.IsAcquired)
        {
            return null;
        }

        return lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)) : retryAfter;
    }

    public void Dispose()
    {
        _operations.Dispose();
        _sameChannel.Dispose();
    }
}

using Capgo.Edge.Core;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Capgo.Edge.Redis;

/// <summary>
/// Stores the channel an old plugin chose (<c>/channel_self</c>) through the publisher path, on the
/// publisher's connection (the edge's user is read-only), so every edge applies it; then applies it
/// here at once, so the device reads its own write.
/// </summary>
public sealed partial class OverrideWriter
{
    private readonly RedisConnections _connections;
    private readonly RedisLayout _layout;
    private readonly ILogger<OverrideWriter> _logger;

    public OverrideWriter(RedisConnections connections, RedisLayout layout, ILogger<OverrideWriter> logger)
    {
        _connections = connections;
        _layout = layout;
        _logger = logger;
    }

    /// <summary>Pins the device; false (logged) when Redis refused the pin, is unreachable or too slow.</summary>
    public async Task<bool> SetAsync(AppSnapshot app, string deviceId, string channel)
    {
        ArgumentNullException.ThrowIfNull(app);
        ArgumentException.ThrowIfNullOrEmpty(channel);
        if (!await StoreAsync(app.AppId, deviceId, channel).ConfigureAwait(false))
        {
            return false;
        }

        app.Overrides.Set(deviceId, channel);
        return true;
    }

    /// <summary>Removes the device's pin; false (logged) when it could not be stored.</summary>
    public async Task<bool> RemoveAsync(AppSnapshot app, string deviceId)
    {
        ArgumentNullException.ThrowIfNull(app);
        if (!await StoreAsync(app.AppId, deviceId, "").ConfigureAwait(false))
        {
            return false;
        }

        app.Overrides.Remove(deviceId);
        return true;
    }

    private async Task<bool> StoreAsync(string appId, string deviceId, string channel)
    {
        try
        {
            var redis = await _connections.PublisherAsync().ConfigureAwait(false);
            await OverrideChange.RunAsync(redis.GetDatabase(), _layout, appId, deviceId, channel).ConfigureAwait(false);
            return true;
        }
        catch (Exception ex) when (ex is RedisException or RedisTimeoutException or PublishException)
        {
            LogStoreFailed(_logger, appId, ex);
            return false;
        }
    }

    [LoggerMessage(EventId = 1401, Level = LogLevel.Warning, Message = "Could not store a /channel_self override of {AppId} through the publisher path")]
    private static partial void LogStoreFailed(ILogger logger, string appId, Exception exception);
}

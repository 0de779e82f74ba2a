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
    private readonly ProjectionStore _store;
    private readonly ILogger<OverrideWriter> _logger;

    public OverrideWriter(RedisConnections connections, RedisLayout layout, ProjectionStore store, ILogger<OverrideWriter> logger)
    {
        _connections = connections;
        _layout = layout;
        _store = store;
        _logger = logger;
    }

    /// <summary>
    /// The map the app is answered from now: the sync may have replaced the request's snapshot's map
    /// (a reload) while the write was in flight, and the device must read its own write.
    /// </summary>
    private DeviceOverrides Current(AppSnapshot app) => (_store.Find(app.AppId) ?? app).Overrides;

    /// <summary>Pins the device; false (logged) when Redis refused the pin, is unreachable or too slow.</summary>
    /// <remarks><paramref name="maxPins"/>: the app's ceiling of pins, checked in Redis; over it, <see cref="PinCeilingException"/>.</remarks>
    public async Task<bool> SetAsync(AppSnapshot app, string deviceId, string channel, int? maxPins = null)
    {
        ArgumentNullException.ThrowIfNull(app);
        ArgumentException.ThrowIfNullOrEmpty(channel);
        if (!await StoreAsync(app.AppId, deviceId, channel, maxPins).ConfigureAwait(false))
        {
            return false;
        }

        Current(app).Set(deviceId, channel);
        return true;
    }

    /// <summary>Removes the device's pin; false (logged) when it could not be stored.</summary>
    public async Task<bool> RemoveAsync(AppSnapshot app, string deviceId)
    {
        ArgumentNullException.ThrowIfNull(app);
        if (!await StoreAsync(app.AppId, deviceId, "", null).ConfigureAwait(false))
        {
            return false;
        }

        Current(app).Remove(deviceId);
        return true;
    }

    private async Task<bool> StoreAsync(string appId, string deviceId, string channel, int? maxPins)
    {
        try
        {
            var redis = await _connections.PublisherAsync().ConfigureAwait(false);
            await OverrideChange.RunAsync(redis.GetDatabase(), _layout, appId, deviceId, channel, maxPins).ConfigureAwait(false);
            return true;
        }
        catch (PinCeilingException)
        {
            throw; // the caller's answer (429), not a failure of the store
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

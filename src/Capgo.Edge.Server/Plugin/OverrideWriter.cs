using Capgo.Edge.ControlPlane;
using Capgo.Edge.Core;
using StackExchange.Redis;

namespace Capgo.Edge.Server.Plugin;

/// <summary>Stores the channel an old plugin chose (<c>/channel_self</c>) as a device override.</summary>
internal interface IOverrideWriter
{
    Task SetAsync(AppSnapshot app, string deviceId, string channel);

    Task RemoveAsync(AppSnapshot app, string deviceId);
}

/// <summary>Standalone mode: the pin lives in this edge's memory only (there is no control plane).</summary>
internal sealed class LocalOverrideWriter : IOverrideWriter
{
    public Task SetAsync(AppSnapshot app, string deviceId, string channel)
    {
        app.Overrides.Set(deviceId, channel);
        return Task.CompletedTask;
    }

    public Task RemoveAsync(AppSnapshot app, string deviceId)
    {
        app.Overrides.Remove(deviceId);
        return Task.CompletedTask;
    }
}

/// <summary>The pin could not be stored (the control plane's Redis refused it or is unreachable).</summary>
internal sealed class OverrideStoreException : Exception
{
    public OverrideStoreException()
    {
    }

    public OverrideStoreException(string message)
        : base(message)
    {
    }

    public OverrideStoreException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>
/// Redis mode: the pin goes through the publisher path, so every edge applies it. The change is also
/// applied here at once, so the device reads its own write. Credentials: <c>ConnectionStrings:RedisPublisher</c>
/// when set (edges' main user is read-only), else <c>ConnectionStrings:Redis</c>.
/// </summary>
internal sealed partial class RedisOverrideWriter : IOverrideWriter, IAsyncDisposable
{
    private readonly Lazy<Task<ConnectionMultiplexer>> _redis;
    private readonly RedisLayout _layout;
    private readonly ILogger _logger;

    public RedisOverrideWriter(string connectionString, RedisLayout layout, ILogger<RedisOverrideWriter> logger)
    {
        _layout = layout;
        _logger = logger;
        _redis = new Lazy<Task<ConnectionMultiplexer>>(() =>
        {
            var options = ConfigurationOptions.Parse(connectionString);
            options.AbortOnConnectFail = false;
            return ConnectionMultiplexer.ConnectAsync(options);
        });
    }

    public async Task SetAsync(AppSnapshot app, string deviceId, string channel)
    {
        await StoreAsync(app.AppId, p => p.SetOverrideAsync(app.AppId, deviceId, channel)).ConfigureAwait(false);
        app.Overrides.Set(deviceId, channel);
    }

    public async Task RemoveAsync(AppSnapshot app, string deviceId)
    {
        await StoreAsync(app.AppId, p => p.RemoveOverrideAsync(app.AppId, deviceId)).ConfigureAwait(false);
        app.Overrides.Remove(deviceId);
    }

    /// <summary>Runs one change; a Redis failure (refused, unreachable, too slow) becomes <see cref="OverrideStoreException"/>.</summary>
    private async Task StoreAsync(string appId, Func<ProjectionPublisher, Task<long>> change)
    {
        try
        {
            await change(await PublisherAsync().ConfigureAwait(false)).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RedisException or RedisTimeoutException or PublishException)
        {
            LogStoreFailed(_logger, appId, ex);
            throw new OverrideStoreException("The device override could not be stored", ex);
        }
    }

    [LoggerMessage(EventId = 1401, Level = LogLevel.Warning, Message = "Could not store a /channel_self override of {AppId} through the publisher path")]
    private static partial void LogStoreFailed(ILogger logger, string appId, Exception exception);

    private async Task<ProjectionPublisher> PublisherAsync() => new(await _redis.Value.ConfigureAwait(false), _layout);

    public async ValueTask DisposeAsync()
    {
        if (_redis.IsValueCreated)
        {
            await (await _redis.Value.ConfigureAwait(false)).DisposeAsync().ConfigureAwait(false);
        }
    }
}

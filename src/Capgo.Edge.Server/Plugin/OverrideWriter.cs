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

/// <summary>
/// Redis mode: the pin goes through the publisher path, so every edge applies it. The change is also
/// applied here at once, so the device reads its own write. Credentials: <c>ConnectionStrings:RedisPublisher</c>
/// when set (edges' main user is read-only), else <c>ConnectionStrings:Redis</c>.
/// </summary>
internal sealed class RedisOverrideWriter : IOverrideWriter, IAsyncDisposable
{
    private readonly Lazy<Task<ConnectionMultiplexer>> _redis;
    private readonly RedisLayout _layout;

    public RedisOverrideWriter(string connectionString, RedisLayout layout)
    {
        _layout = layout;
        _redis = new Lazy<Task<ConnectionMultiplexer>>(() =>
        {
            var options = ConfigurationOptions.Parse(connectionString);
            options.AbortOnConnectFail = false;
            return ConnectionMultiplexer.ConnectAsync(options);
        });
    }

    public async Task SetAsync(AppSnapshot app, string deviceId, string channel)
    {
        await (await PublisherAsync().ConfigureAwait(false)).SetOverrideAsync(app.AppId, deviceId, channel).ConfigureAwait(false);
        app.Overrides.Set(deviceId, channel);
    }

    public async Task RemoveAsync(AppSnapshot app, string deviceId)
    {
        await (await PublisherAsync().ConfigureAwait(false)).RemoveOverrideAsync(app.AppId, deviceId).ConfigureAwait(false);
        app.Overrides.Remove(deviceId);
    }

    private async Task<ProjectionPublisher> PublisherAsync() => new(await _redis.Value.ConfigureAwait(false), _layout);

    public async ValueTask DisposeAsync()
    {
        if (_redis.IsValueCreated)
        {
            await (await _redis.Value.ConfigureAwait(false)).DisposeAsync().ConfigureAwait(false);
        }
    }
}

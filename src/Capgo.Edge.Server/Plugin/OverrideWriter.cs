using Capgo.Edge.Core;
using Capgo.Edge.Redis;
using Capgo.Edge.Server.Admission;
using Microsoft.Extensions.Options;

namespace Capgo.Edge.Server.Plugin;

internal static class OverrideWriterServiceCollectionExtensions
{
    /// <summary>Redis when there are credentials to write overrides with (<c>ConnectionStrings:RedisPublisher</c> or <c>:Redis</c>), else this edge's memory.</summary>
    public static IServiceCollection AddOverrideWriter(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddEdgeRedis(configuration);
        services.AddSingleton<IOverrideWriter>(static sp => sp.GetRequiredService<RedisConnections>().HasPublisher
            ? new RedisOverrideWriter(sp.GetRequiredService<OverrideWriter>(), sp.GetRequiredService<IOptions<AdmissionOptions>>().Value.MaxPinsPerApp)
            : new LocalOverrideWriter());
        return services;
    }
}

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

/// <summary>The pin was refused: the app holds its ceiling of pins, counted in Redis across every edge.</summary>
internal sealed class PinCeilingReachedException : Exception
{
    public PinCeilingReachedException()
    {
    }

    public PinCeilingReachedException(string message)
        : base(message)
    {
    }

    public PinCeilingReachedException(string message, Exception innerException)
        : base(message, innerException)
    {
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
/// Redis mode: the Redis layer's <see cref="OverrideWriter"/> stores the pin through the publisher path
/// and applies it here; this adapter only turns its refusal into <see cref="OverrideStoreException"/>,
/// the endpoint's contract. The app's ceiling of pins is checked by the script itself, so it holds
/// however many edges write at once.
/// </summary>
internal sealed class RedisOverrideWriter(OverrideWriter writer, int maxPinsPerApp) : IOverrideWriter
{
    public async Task SetAsync(AppSnapshot app, string deviceId, string channel)
    {
        bool stored;
        try
        {
            stored = await writer.SetAsync(app, deviceId, channel, maxPinsPerApp).ConfigureAwait(false);
        }
        catch (PinCeilingException ex)
        {
            throw new PinCeilingReachedException(ex.Message, ex);
        }

        if (!stored)
        {
            throw new OverrideStoreException("The device override could not be stored");
        }
    }

    public async Task RemoveAsync(AppSnapshot app, string deviceId)
    {
        if (!await writer.RemoveAsync(app, deviceId).ConfigureAwait(false))
        {
            throw new OverrideStoreException("The device override could not be stored");
        }
    }
}

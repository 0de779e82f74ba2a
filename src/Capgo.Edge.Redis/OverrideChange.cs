using Capgo.Edge.Core;
using StackExchange.Redis;

namespace Capgo.Edge.Redis;

/// <summary>
/// Pins a device to a channel, or removes its pin, with the override script: the one way both
/// publishers and edges (<c>/channel_self</c>) change an override, so every edge applies it.
/// </summary>
public static class OverrideChange
{
    /// <summary>Runs the change; returns the new overrides generation. <paramref name="channel"/> "" removes the pin.</summary>
    /// <remarks>With <paramref name="maxPins"/>, a pin that adds a device to an app holding that many is refused (<see cref="PinCeilingException"/>).</remarks>
    /// <exception cref="PublishException">The ids are malformed, or the app, channel or pin is unknown.</exception>
    public static async Task<long> RunAsync(IDatabase db, RedisLayout layout, string appId, string deviceId, string channel, int? maxPins = null)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(layout);
        if (!AppIds.IsValid(appId))
        {
            throw new PublishException($"app_id '{appId}' is not a reverse-domain app id");
        }

        if (!DeviceIds.IsValid(deviceId))
        {
            throw new PublishException($"device_id '{deviceId}' is not a UUID");
        }

        var device = deviceId.ToLowerInvariant();
        try
        {
            var result = await db.ScriptEvaluateAsync(
                Scripts.Override,
                [layout.Generation, layout.AppOverrides(appId), layout.AppOverridesGeneration(appId)],
                [appId, device, channel, layout.Changes.ToString(), maxPins?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "", (string)layout.App(appId)!, (string)layout.AppChannels(appId)!]).ConfigureAwait(false);
            return Generations.Parse(result);
        }
        catch (RedisServerException ex) when (Scripts.IsCapped(ex))
        {
            throw new PinCeilingException(Scripts.Refusal(ex), ex);
        }
        catch (RedisServerException ex)
        {
            throw new PublishException(Scripts.Refusal(ex), ex);
        }
    }
}

/// <summary>A pin refused because the app holds its ceiling of pins (<c>Admission:MaxPinsPerApp</c>).</summary>
public sealed class PinCeilingException : PublishException
{
    public PinCeilingException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

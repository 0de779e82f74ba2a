using Capgo.Edge.Core;
using Capgo.Edge.Server.Abuse;
using Capgo.Edge.Server.Admission;

namespace Capgo.Edge.Server.Plugin;

/// <summary>
/// What <c>/channel_self</c> decides (plugin-endpoints.md): new plugins keep the chosen channel on the
/// device (sent back as <c>defaultChannel</c>); old ones ask the server to store it as an override.
/// Every method answers one validated request of a known, active app. Pin writes pass the per-app caps
/// (<see cref="AppAdmission"/>) after the per-device limits.
/// </summary>
internal sealed class ChannelSelfService
{
    public const string TooManyRequestsMessage = "Too many requests";

    private static readonly ErrorReply MissingChannel = new("missing_channel", "Cannot find channel in body");
    private static readonly ErrorReply ChannelNotFound = new("channel_not_found", "Cannot find channel");
    private static readonly ErrorReply PublicChannelSelfSet = new(
        "public_channel_self_set_not_allowed",
        "This channel is public and does not allow device self-assignment. Unset the channel and the device will automatically use the public channel.");
    private static readonly ErrorReply ChannelSelfSetNotAllowed = new("channel_self_set_not_allowed", "This channel does not allow devices to self associate");
    private static readonly ErrorReply CannotOverride = new("cannot_override", "Cannot change device override current channel don't allow it");
    private static readonly RequestError StoreUnavailable = new("cannot_override", "Cannot store the channel override right now, retry later", []);
    private static readonly ChannelReply Ok = new(null, "ok");
    private static readonly ChannelReply OkAllowSet = new(null, "ok", true);

    private readonly ProjectionStore _store;
    private readonly ChannelSelfLimiter _limiter;
    private readonly IOverrideWriter _writer;
    private readonly AbuseGuard _abuse;
    private readonly AppAdmission _admission;

    public ChannelSelfService(ProjectionStore store, ChannelSelfLimiter limiter, IOverrideWriter writer, AbuseGuard abuse, AppAdmission admission)
    {
        _store = store;
        _limiter = limiter;
        _writer = writer;
        _abuse = abuse;
        _admission = admission;
    }

    /// <summary>The app as the abuse guard lets this client see it (an unknown id counts as a probe of its network).</summary>
    public AppSnapshot? Find(HttpContext context, string appId) => _abuse.Find(_store, context.Connection.RemoteIpAddress, appId);

    /// <summary>Plugins from 5.34.0 / 6.34.0 / 7.34.0 / 8.0.0 keep their channel on the device.</summary>
    internal static bool IsNewPlugin(SemVer plugin) => plugin.Major switch
    {
        5 => plugin >= new SemVer(5, 34, 0),
        6 => plugin >= new SemVer(6, 34, 0),
        7 => plugin >= new SemVer(7, 34, 0),
        _ => plugin.Major >= 8,
    };

    /// <summary>A stable numeric id for a channel (the projection names channels; the plugin shows ids).</summary>
    internal static long ChannelId(string name) =>
        (long)(System.IO.Hashing.XxHash3.HashToUInt64(System.Text.Encoding.UTF8.GetBytes(name)) & 0x7FFF_FFFF);

    /// <summary>POST: the device chooses a channel.</summary>
    public async Task<ChannelSelfAnswer> SetAsync(ChannelSelfRequest r)
    {
        if (_limiter.TryOperation(r.App.AppId, r.Check.DeviceId, "set") is { } wait)
        {
            return ChannelSelfAnswer.Limited(wait);
        }

        if (string.IsNullOrEmpty(r.Channel))
        {
            return MissingChannel;
        }

        if (!r.App.ChannelsByName.TryGetValue(r.Channel, out var channel))
        {
            return ChannelNotFound;
        }

        if (!channel.AllowDeviceSelfSet)
        {
            return channel.IsPublic ? PublicChannelSelfSet : ChannelSelfSetNotAllowed;
        }

        if (IsNewPlugin(r.Check.PluginVersion))
        {
            return OkAllowSet;
        }

        // Choosing the platform's public channel is the same as having no override.
        var remove = ReferenceEquals(channel, r.App.PublicChannelFor(r.Check.Platform));
        var writes = !remove || r.App.Overrides.TryGet(r.Check.DeviceId, out _);

        // The app's caps come before the device's once-a-minute limit: a device the app refuses retries
        // after the wait it was given, not a minute later.
        using var write = writes ? _admission.AdmitPinWrite(r.App, r.Check.DeviceId) : default;
        if (write.RetryAfterSeconds is { } pinWait)
        {
            return ChannelSelfAnswer.Limited(pinWait, write.Message);
        }

        if (_limiter.TrySetChannel(r.App.AppId, r.Check.DeviceId, channel.Name) is { } sameChannelWait)
        {
            return ChannelSelfAnswer.Limited(sameChannelWait);
        }

        if (!writes)
        {
            return Ok;
        }

        try
        {
            if (remove)
            {
                await _writer.RemoveAsync(r.App, r.Check.DeviceId).ConfigureAwait(false);
            }
            else
            {
                await _writer.SetAsync(r.App, r.Check.DeviceId, channel.Name).ConfigureAwait(false);
            }
        }
        catch (PinCeilingReachedException)
        {
            return ChannelSelfAnswer.Limited(AppAdmission.PinCapRetryAfterSeconds, AppAdmission.PinCapMessage);
        }
        catch (OverrideStoreException)
        {
            return ChannelSelfAnswer.Failed(StoreUnavailable);
        }

        return Ok;
    }

    /// <summary>PUT: which channel the device is on, and whether it chose it.</summary>
    public ChannelSelfAnswer Get(ChannelSelfRequest r)
    {
        if (_limiter.TryOperation(r.App.AppId, r.Check.DeviceId, "get") is { } wait)
        {
            return ChannelSelfAnswer.Limited(wait);
        }

        if (IsNewPlugin(r.Check.PluginVersion))
        {
            return string.IsNullOrEmpty(r.Channel)
                ? new ChannelReply(r.Check.DefaultChannel ?? "production", "default")
                : new ChannelReply(r.Channel, "override", true);
        }

        if (r.App.TryGetOverride(r.Check.DeviceId, out var pinned))
        {
            return new ChannelReply(pinned.Name, "override", pinned.AllowDeviceSelfSet);
        }

        var fallback = r.Check.DefaultChannel is { } named && r.App.ChannelsByName.TryGetValue(named, out var byName)
            ? byName
            : r.App.PublicChannelFor(r.Check.Platform);
        return fallback is null ? ChannelNotFound : new ChannelReply(fallback.Name, "default");
    }

    /// <summary>DELETE: the device drops its choice.</summary>
    public async Task<ChannelSelfAnswer> UnsetAsync(ChannelSelfRequest r)
    {
        if (_limiter.TryOperation(r.App.AppId, r.Check.DeviceId, "unset") is { } wait)
        {
            return ChannelSelfAnswer.Limited(wait);
        }

        if (IsNewPlugin(r.Check.PluginVersion))
        {
            return Ok;
        }

        if (!r.App.Overrides.TryGet(r.Check.DeviceId, out _))
        {
            return CannotOverride;
        }

        using var write = _admission.AdmitPinWrite(r.App, r.Check.DeviceId);
        if (write.RetryAfterSeconds is { } pinWait)
        {
            return ChannelSelfAnswer.Limited(pinWait, write.Message);
        }

        try
        {
            await _writer.RemoveAsync(r.App, r.Check.DeviceId).ConfigureAwait(false);
        }
        catch (OverrideStoreException)
        {
            return ChannelSelfAnswer.Failed(StoreUnavailable);
        }

        return Ok;
    }

    /// <summary>GET: the channels a device of this kind may choose.</summary>
    public static ChannelListItem[] List(AppSnapshot app, ChannelListQuery query) =>
        app.Channels
            .Where(c => (c.IsPublic || c.AllowDeviceSelfSet) && c.IsVisible && c.IsEnabledFor(query.Platform) &&
                        (query.IsEmulator ? c.AllowEmulator : c.AllowDevice) && (query.IsProd ? c.AllowProd : c.AllowDev))
            .Select(static c => new ChannelListItem(ChannelId(c.Name), c.Name, c.IsPublic, c.AllowDeviceSelfSet))
            .ToArray();
}

/// <summary>
/// One answer of <see cref="ChannelSelfService"/>: a reply, a refusal in the reply's shape, a wait (with
/// its message when not the per-device one), or a store failure.
/// </summary>
internal readonly record struct ChannelSelfAnswer(ChannelReply? Reply, ErrorReply? Error, int? RetryAfterSeconds, RequestError? StoreFailure, string? LimitMessage = null)
{
    public static implicit operator ChannelSelfAnswer(ChannelReply reply) => new(reply, null, null, null);

    public static implicit operator ChannelSelfAnswer(ErrorReply error) => new(null, error, null, null);

    public static ChannelSelfAnswer Limited(int seconds, string? message = null) => new(null, null, seconds, null, message);

    public static ChannelSelfAnswer Failed(RequestError failure) => new(null, null, null, failure);
}

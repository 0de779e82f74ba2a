using System.Text.Json;
using Capgo.Edge.Core;
using Capgo.Edge.Server.Updates;
using Microsoft.Extensions.Options;

namespace Capgo.Edge.Server.Plugin;

/// <summary>
/// <c>/channel_self</c> (plugin-endpoints.md): a device chooses its channel. New plugins keep the choice
/// on the device (sent back as <c>defaultChannel</c>); old ones ask the server to store it.
/// </summary>
internal static partial class ChannelSelfEndpoints
{
    private const string Path = "/channel_self";

    public static IServiceCollection AddEdgeChannelSelf(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton<ChannelSelfLimiter>();
        services.AddOverrideWriter(configuration);
        return services;
    }

    public static IEndpointRouteBuilder MapEdgeChannelSelf(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapPost(Path, SetAsync);
        endpoints.MapPut(Path, GetAsync);
        endpoints.MapDelete(Path, UnsetAsync);
        endpoints.MapGet(Path, List);
        return endpoints;
    }

    /// <summary>Plugins from 5.34.0 / 6.34.0 / 7.34.0 / 8.0.0 keep their channel on the device.</summary>
    internal static bool IsNewPlugin(SemVer plugin) => plugin.Major switch
    {
        5 => plugin >= new SemVer(5, 34, 0),
        6 => plugin >= new SemVer(6, 34, 0),
        7 => plugin >= new SemVer(7, 34, 0),
        _ => plugin.Major >= 8,
    };

    // POST: set.
    private static async Task SetAsync(HttpContext context, ProjectionStore store, ChannelSelfLimiter limiter, IOverrideWriter writer, IOptions<HttpApiOptions> options)
    {
        var request = await ReadAsync(context, store, options.Value.MaxRequestBodyBytes).ConfigureAwait(false);
        if (request is not { } r || await LimitedAsync(context, limiter.TryOperation(r.App.AppId, r.Check.DeviceId, "set")).ConfigureAwait(false))
        {
            return;
        }

        if (string.IsNullOrEmpty(r.Channel))
        {
            await Reply(context, new { error = "missing_channel", message = "Cannot find channel in body" }).ConfigureAwait(false);
            return;
        }

        if (!r.App.ChannelsByName.TryGetValue(r.Channel, out var channel))
        {
            await Reply(context, new { error = "channel_not_found", message = "Cannot find channel" }).ConfigureAwait(false);
            return;
        }

        if (!channel.AllowDeviceSelfSet)
        {
            await Reply(context, channel.IsPublic
                ? new
                {
                    error = "public_channel_self_set_not_allowed",
                    message = "This channel is public and does not allow device self-assignment. Unset the channel and the device will automatically use the public channel.",
                }
                : new { error = "channel_self_set_not_allowed", message = "This channel does not allow devices to self associate" }).ConfigureAwait(false);
            return;
        }

        if (IsNewPlugin(r.Check.PluginVersion))
        {
            await Reply(context, new { status = "ok", allowSet = true }).ConfigureAwait(false);
            return;
        }

        if (await LimitedAsync(context, limiter.TrySetChannel(r.App.AppId, r.Check.DeviceId, channel.Name)).ConfigureAwait(false))
        {
            return;
        }

        try
        {
            // Choosing the platform's public channel is the same as having no override.
            if (ReferenceEquals(channel, r.App.PublicChannelFor(r.Check.Platform)))
            {
                if (r.App.Overrides.TryGet(r.Check.DeviceId, out _))
                {
                    await writer.RemoveAsync(r.App, r.Check.DeviceId).ConfigureAwait(false);
                }
            }
            else
            {
                await writer.SetAsync(r.App, r.Check.DeviceId, channel.Name).ConfigureAwait(false);
            }
        }
        catch (OverrideStoreException)
        {
            await StoreUnavailableAsync(context).ConfigureAwait(false);
            return;
        }

        await Reply(context, new { status = "ok" }).ConfigureAwait(false);
    }

    // PUT: get.
    private static async Task GetAsync(HttpContext context, ProjectionStore store, ChannelSelfLimiter limiter, IOptions<HttpApiOptions> options)
    {
        var request = await ReadAsync(context, store, options.Value.MaxRequestBodyBytes).ConfigureAwait(false);
        if (request is not { } r || await LimitedAsync(context, limiter.TryOperation(r.App.AppId, r.Check.DeviceId, "get")).ConfigureAwait(false))
        {
            return;
        }

        if (IsNewPlugin(r.Check.PluginVersion))
        {
            await Reply(context, string.IsNullOrEmpty(r.Channel)
                ? new { channel = r.Check.DefaultChannel ?? "production", status = "default" }
                : (object)new { channel = r.Channel, status = "override", allowSet = true }).ConfigureAwait(false);
            return;
        }

        if (r.App.TryGetOverride(r.Check.DeviceId, out var pinned))
        {
            await Reply(context, new { channel = pinned.Name, status = "override", allowSet = pinned.AllowDeviceSelfSet }).ConfigureAwait(false);
            return;
        }

        var fallback = r.Check.DefaultChannel is { } named && r.App.ChannelsByName.TryGetValue(named, out var byName)
            ? byName
            : r.App.PublicChannelFor(r.Check.Platform);
        await Reply(context, fallback is null
            ? new { error = "channel_not_found", message = "Cannot find channel" }
            : (object)new { channel = fallback.Name, status = "default" }).ConfigureAwait(false);
    }

    // DELETE: unset (query parameters).
    private static async Task UnsetAsync(HttpContext context, ProjectionStore store, ChannelSelfLimiter limiter, IOverrideWriter writer)
    {
        var raw = FromQuery(context.Request.Query);
        if (await ValidateAsync(context, store, raw).ConfigureAwait(false) is not { } r ||
            await LimitedAsync(context, limiter.TryOperation(r.App.AppId, r.Check.DeviceId, "unset")).ConfigureAwait(false))
        {
            return;
        }

        if (IsNewPlugin(r.Check.PluginVersion))
        {
            await Reply(context, new { status = "ok" }).ConfigureAwait(false);
            return;
        }

        if (!r.App.Overrides.TryGet(r.Check.DeviceId, out _))
        {
            await Reply(context, new { error = "cannot_override", message = "Cannot change device override current channel don't allow it" }).ConfigureAwait(false);
            return;
        }

        try
        {
            await writer.RemoveAsync(r.App, r.Check.DeviceId).ConfigureAwait(false);
        }
        catch (OverrideStoreException)
        {
            await StoreUnavailableAsync(context).ConfigureAwait(false);
            return;
        }

        await Reply(context, new { status = "ok" }).ConfigureAwait(false);
    }

    // GET: list the channels this device may choose.
    private static async Task List(HttpContext context, ProjectionStore store)
    {
        var query = context.Request.Query;
        var appId = query["app_id"].ToString();
        var platformText = query["platform"].ToString();
        var problems = new List<FieldProblem>();
        if (!AppIds.IsValid(appId))
        {
            problems.Add(new FieldProblem("app_id", "App ID must be a reverse-domain string such as com.example.app"));
        }

        var platform = platformText switch
        {
            "ios" => Platform.Ios,
            "android" => Platform.Android,
            "electron" => Platform.Electron,
            _ => (Platform?)null,
        };
        if (platform is null)
        {
            problems.Add(new FieldProblem("platform", "Platform must be one of: ios, android, electron"));
        }

        var isEmulator = ParseBool(query["is_emulator"].ToString(), false, "is_emulator", problems);
        var isProd = ParseBool(query["is_prod"].ToString(), true, "is_prod", problems);
        if (problems.Count > 0)
        {
            await ErrorBody.WriteAsync(context, StatusCodes.Status400BadRequest, new RequestError("invalid_query_parameters", "Invalid query parameters", problems)).ConfigureAwait(false);
            return;
        }

        var app = store.Find(appId);
        if (app is null || !app.IsActive)
        {
            await OnPremiseAsync(context).ConfigureAwait(false);
            return;
        }

        var channels = app.Channels
            .Where(c => (c.IsPublic || c.AllowDeviceSelfSet) && c.IsVisible && c.IsEnabledFor(platform!.Value) &&
                        (isEmulator ? c.AllowEmulator : c.AllowDevice) && (isProd ? c.AllowProd : c.AllowDev))
            .Select(static c => new { id = ChannelId(c.Name), name = c.Name, @public = c.IsPublic, allow_self_set = c.AllowDeviceSelfSet })
            .ToArray();
        await Reply(context, channels).ConfigureAwait(false);
    }

    /// <summary>A stable numeric id for a channel (the projection names channels; the plugin shows ids).</summary>
    internal static long ChannelId(string name) =>
        (long)(System.IO.Hashing.XxHash3.HashToUInt64(System.Text.Encoding.UTF8.GetBytes(name)) & 0x7FFF_FFFF);

    private static bool ParseBool(string value, bool defaultValue, string field, List<FieldProblem> problems)
    {
        if (value.Length == 0)
        {
            return defaultValue;
        }

        if (bool.TryParse(value, out var result))
        {
            return result;
        }

        problems.Add(new FieldProblem(field, "Expected true or false"));
        return defaultValue;
    }

    private readonly record struct ChannelSelfRequest(AppSnapshot App, UpdateCheck Check, string? Channel);

    /// <summary>Reads, validates (update-check.md §1) and resolves the app; answers the error itself.</summary>
    private static async Task<ChannelSelfRequest?> ReadAsync(HttpContext context, ProjectionStore store, int limit)
    {
        if (await PluginBody.ReadAsync(context, limit).ConfigureAwait(false) is not { } body)
        {
            return null;
        }

        switch (UpdateRequestJson.Read(body.Span, out var raw))
        {
            case UpdateRequestJson.ReadStatus.NotJson:
                await ErrorBody.WriteAsync(context, StatusCodes.Status400BadRequest, RequestError.InvalidJson).ConfigureAwait(false);
                return null;
            case UpdateRequestJson.ReadStatus.NotAnObject:
                await ErrorBody.WriteAsync(context, StatusCodes.Status400BadRequest, ErrorBody.NotAnObject).ConfigureAwait(false);
                return null;
        }

        string? channel;
        try
        {
            channel = ReadChannel(body.Span);
        }
        catch (InvalidOperationException)
        {
            // A "channel" that is no text (a lone surrogate escape): not a body we can read.
            await ErrorBody.WriteAsync(context, StatusCodes.Status400BadRequest, RequestError.InvalidJson).ConfigureAwait(false);
            return null;
        }

        var resolved = await ValidateAsync(context, store, raw).ConfigureAwait(false);
        return resolved is { } r ? r with { Channel = channel } : null;
    }

    private static async Task<ChannelSelfRequest?> ValidateAsync(HttpContext context, ProjectionStore store, RawUpdateCheck raw)
    {
        if (RequestValidator.Validate(raw, out var check) is { } error)
        {
            await ErrorBody.WriteAsync(context, StatusCodes.Status400BadRequest, error).ConfigureAwait(false);
            return null;
        }

        var app = store.Find(check.AppId);
        if (app is null || !app.IsActive)
        {
            await OnPremiseAsync(context).ConfigureAwait(false);
            return null;
        }

        return new ChannelSelfRequest(app, check, null);
    }

    private static RawUpdateCheck FromQuery(IQueryCollection query)
    {
        static string? Text(IQueryCollection q, string name) => q.TryGetValue(name, out var v) ? v.ToString() : null;
        static bool? Flag(IQueryCollection q, string name, ref CheckFields wrong, CheckFields field)
        {
            var text = Text(q, name);
            if (text is null)
            {
                return null;
            }

            if (bool.TryParse(text, out var value))
            {
                return value;
            }

            wrong |= field;
            return null;
        }

        var wrong = CheckFields.None;
        var raw = new RawUpdateCheck
        {
            AppId = Text(query, "app_id"),
            DeviceId = Text(query, "device_id"),
            VersionName = Text(query, "version_name"),
            VersionBuild = Text(query, "version_build"),
            Platform = Text(query, "platform"),
            PluginVersion = Text(query, "plugin_version"),
            IsEmulator = Flag(query, "is_emulator", ref wrong, CheckFields.IsEmulator),
            IsProd = Flag(query, "is_prod", ref wrong, CheckFields.IsProd),
            DefaultChannel = Text(query, "defaultChannel") ?? Text(query, "default_channel"),
            InstallSource = Text(query, "install_source"),
            KeyId = Text(query, "key_id"),
            CustomId = Text(query, "custom_id"),
            VersionCode = Text(query, "version_code"),
            VersionOs = Text(query, "version_os"),
            IsEmpty = query.Count == 0,
        };
        raw.WrongType = wrong;
        return raw;
    }

    /// <summary>The top-level <c>channel</c> string of a body already known to be a JSON object.</summary>
    private static string? ReadChannel(ReadOnlySpan<byte> body)
    {
        var reader = new Utf8JsonReader(body);
        reader.Read();
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isChannel = reader.ValueTextEquals("channel"u8);
            reader.Read();
            if (isChannel && reader.TokenType == JsonTokenType.String)
            {
                return reader.GetString();
            }

            reader.Skip();
        }

        return null;
    }

    private static async Task<bool> LimitedAsync(HttpContext context, int? retryAfterSeconds)
    {
        if (retryAfterSeconds is not { } seconds)
        {
            return false;
        }

        context.Response.StatusCode = StatusCodes.Status429TooManyRequests;
        context.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        await context.Response.WriteAsJsonAsync(new
        {
            error = "too_many_requests",
            message = "Too many requests",
            moreInfo = new { retryAfterSeconds = seconds },
        }).ConfigureAwait(false);
        return true;
    }

    /// <summary>The pin could not be stored: 503 in the contract's error shape (the plugin reads it as a failure).</summary>
    private static Task StoreUnavailableAsync(HttpContext context) =>
        ErrorBody.WriteAsync(
            context,
            StatusCodes.Status503ServiceUnavailable,
            new RequestError("cannot_override", "Cannot store the channel override right now, retry later", []));

    private static Task OnPremiseAsync(HttpContext context)
    {
        context.Response.StatusCode = StatusCodes.Status429TooManyRequests;
        return context.Response.WriteAsJsonAsync(new { error = "on_premise_app", message = "On-premise app detected" });
    }

    private static Task Reply(HttpContext context, object body) => context.Response.WriteAsJsonAsync(body);
}

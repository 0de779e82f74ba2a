using System.Text.Json;
using Capgo.Edge.Core;
using Capgo.Edge.Server.Updates;

namespace Capgo.Edge.Server.Plugin;

/// <summary>A validated <c>/channel_self</c> request of a known, active app.</summary>
internal readonly record struct ChannelSelfRequest(AppSnapshot App, UpdateCheck Check, string? Channel);

/// <summary>The query of GET <c>/channel_self</c>.</summary>
internal readonly record struct ChannelListQuery(string AppId, Platform Platform, bool IsEmulator, bool IsProd);

/// <summary>
/// Reads <c>/channel_self</c> requests: the update check's fields (update-check.md §1, the same rules)
/// from the body or the query, plus <c>channel</c>. Every refusal is answered here.
/// </summary>
internal static class ChannelSelfRequests
{
    /// <summary>POST and PUT: the body, validated and resolved to its app; null when already answered.</summary>
    public static async Task<ChannelSelfRequest?> ReadBodyAsync(HttpContext context, PluginBodyReader bodies, ChannelSelfService service)
    {
        using var body = await bodies.ReadAsync(context).ConfigureAwait(false);
        if (body.Refusal is not null)
        {
            return null;
        }

        var status = UpdateRequestJson.Read(body.Span, out var raw);
        string? channel = null;
        var check = default(UpdateCheck);

        // A "channel" that is no text (a lone surrogate escape) makes the body unreadable before any field rule.
        var error = status == UpdateRequestJson.ReadStatus.Ok && !TryReadChannel(body.Span, out channel)
            ? RequestError.InvalidJson
            : UpdateRequestJson.Validate(status, raw, out check);

        return await ResolveAsync(context, service, error, check, channel).ConfigureAwait(false);
    }

    /// <summary>DELETE: the query, validated and resolved to its app; null when already answered.</summary>
    public static Task<ChannelSelfRequest?> ReadQueryAsync(HttpContext context, ChannelSelfService service)
    {
        var error = RequestValidator.Validate(FromQuery(context.Request.Query), out var check);
        return ResolveAsync(context, service, error, check, null);
    }

    /// <summary>GET: <c>app_id</c>, <c>platform</c> and the optional flags; the problems found, else null.</summary>
    public static RequestError? ReadListQuery(IQueryCollection query, out ChannelListQuery list)
    {
        var appId = query["app_id"].ToString();
        var problems = new List<FieldProblem>();
        if (!AppIds.IsValid(appId))
        {
            problems.Add(FieldRules.AppId);
        }

        if (!PlatformNames.TryParse(query["platform"].ToString(), out var platform))
        {
            problems.Add(FieldRules.Platform);
        }

        var isEmulator = ParseBool(query["is_emulator"].ToString(), false, "is_emulator", problems);
        var isProd = ParseBool(query["is_prod"].ToString(), true, "is_prod", problems);
        list = new ChannelListQuery(appId, platform, isEmulator, isProd);
        return problems.Count > 0 ? new RequestError("invalid_query_parameters", "Invalid query parameters", problems) : null;
    }

    private static async Task<ChannelSelfRequest?> ResolveAsync(HttpContext context, ChannelSelfService service, RequestError? error, UpdateCheck check, string? channel)
    {
        if (error is not null)
        {
            await PluginReplies.ErrorAsync(context, StatusCodes.Status400BadRequest, error).ConfigureAwait(false);
            return null;
        }

        if (service.Find(context, check.AppId) is not { IsActive: true } app)
        {
            await PluginReplies.OnPremiseAppAsync(context).ConfigureAwait(false);
            return null;
        }

        return new ChannelSelfRequest(app, check, channel);
    }

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

    /// <summary>The top-level <c>channel</c> string of a body already known to be a JSON object; false when it is no text.</summary>
    private static bool TryReadChannel(ReadOnlySpan<byte> body, out string? channel)
    {
        channel = null;
        var reader = new Utf8JsonReader(body);
        reader.Read();
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isChannel = reader.ValueTextEquals("channel"u8);
            reader.Read();
            if (isChannel && reader.TokenType == JsonTokenType.String)
            {
                try
                {
                    channel = reader.GetString();
                    return true;
                }
                catch (InvalidOperationException)
                {
                    return false;
                }
            }

            reader.Skip();
        }

        return true;
    }
}

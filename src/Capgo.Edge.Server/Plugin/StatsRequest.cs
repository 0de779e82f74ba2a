using System.Text.Json;
using Capgo.Edge.Core;
using Capgo.Edge.Server.Events;

namespace Capgo.Edge.Server.Plugin;

/// <summary>
/// Validates and normalises one <c>POST /stats</c> event (plugin-endpoints.md), in the order of
/// update-check.md §1: shape, <c>device_id</c>, <c>app_id</c>, <c>version_build</c> semver, the field
/// rules (all problems listed in <c>moreInfo.issues</c>), then the action.
/// </summary>
internal static class StatsRequest
{
    public const int MaxMetadataKeys = 30;
    public const int MaxMetadataKeyLength = 64;
    public const int MaxMetadataValueLength = 2048;

    /// <summary>Deep enough for any real body; deeper input is refused as not parseable.</summary>
    public static JsonDocumentOptions DocumentOptions { get; } = new()
    {
        MaxDepth = 32,
        CommentHandling = JsonCommentHandling.Disallow,
        AllowTrailingCommas = false,
    };

    public static RequestError EventNotAnObject { get; } = new(
        "invalid_json_body",
        "Cannot parse body",
        [new FieldProblem("$", "An event must be a JSON object")]);

    public static RequestError UnknownAction { get; } = new(
        "invalid_json_body",
        StatsActions.ErrorMessage,
        [new FieldProblem("action", "Unknown action")]);

    /// <summary>
    /// Reads one event. Returns null and the event when it is valid, else the error to answer. The
    /// event's <c>app_id</c> is as received; the caller replaces it with the projection's spelling.
    /// </summary>
    /// <exception cref="InvalidOperationException">A string escape that is not valid UTF-16 (the body is not JSON).</exception>
    public static RequestError? Read(JsonElement element, out DeviceEvent deviceEvent)
    {
        deviceEvent = default;
        if (element.ValueKind != JsonValueKind.Object)
        {
            return EventNotAnObject;
        }

        return Validate(StatsEventJson.Read(element), out deviceEvent);
    }

    /// <summary>The event's <c>app_id</c> when it is a string (valid or not), else null.</summary>
    public static string? AppIdOf(JsonElement element) =>
        element.ValueKind == JsonValueKind.Object
        && element.TryGetProperty("app_id"u8, out var value)
        && value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : null;

    private static RequestError? Validate(in RawStatsEvent raw, out DeviceEvent deviceEvent)
    {
        deviceEvent = default;
        if (raw.Properties == 0)
        {
            return RequestError.EmptyBody;
        }

        var wrong = raw.WrongType;
        if (string.IsNullOrEmpty(raw.DeviceId) && !Has(wrong, StatsFields.DeviceId))
        {
            return RequestError.MissingDeviceId;
        }

        if (string.IsNullOrEmpty(raw.AppId) && !Has(wrong, StatsFields.AppId))
        {
            return RequestError.MissingAppId;
        }

        string? versionBuild = null;
        if (!string.IsNullOrEmpty(raw.VersionBuild) && !VersionBuild.TryNormalize(raw.VersionBuild, out versionBuild, out _))
        {
            return RequestError.Semver(raw.VersionBuild);
        }

        var installSource = InstallSources.Normalize(raw.InstallSource);
        List<FieldProblem>? issues = null;
        Check(ref issues, Has(wrong, StatsFields.AppId) || !AppIds.IsValid(raw.AppId), FieldRules.AppId);
        Check(ref issues, Has(wrong, StatsFields.DeviceId) || !DeviceIds.IsValid(raw.DeviceId), FieldRules.DeviceId);
        Check(ref issues, Has(wrong, StatsFields.Platform) || raw.Platform is null, new FieldProblem("platform", "Platform must be a string"));
        Check(ref issues, Has(wrong, StatsFields.VersionName) || raw.VersionName is null, new FieldProblem("version_name", "Version name must be a string"));
        Check(ref issues, Has(wrong, StatsFields.VersionOs) || raw.VersionOs is null, new FieldProblem("version_os", "OS version must be a string"));
        Check(ref issues, Has(wrong, StatsFields.IsEmulator), FieldRules.ExpectedBoolean("is_emulator"));
        Check(ref issues, Has(wrong, StatsFields.IsProd), FieldRules.ExpectedBoolean("is_prod"));
        Check(ref issues, Has(wrong, StatsFields.Action), FieldRules.ExpectedString("action"));
        Check(ref issues, Has(wrong, StatsFields.VersionBuild), FieldRules.ExpectedString("version_build"));
        Check(ref issues, Has(wrong, StatsFields.OldVersionName), FieldRules.ExpectedString("old_version_name"));
        Check(ref issues, Has(wrong, StatsFields.VersionCode), FieldRules.ExpectedString("version_code"));
        Check(ref issues, Has(wrong, StatsFields.CustomId) || raw.CustomId?.Length > FieldRules.MaxCustomIdLength, FieldRules.CustomId);
        Check(ref issues, Has(wrong, StatsFields.KeyId) || raw.KeyId?.Length > FieldRules.MaxKeyIdLength, FieldRules.KeyId);
        Check(ref issues, Has(wrong, StatsFields.InstallSource) || installSource?.Length > FieldRules.MaxInstallSourceLength, FieldRules.InstallSource);
        Check(ref issues, Has(wrong, StatsFields.DefaultChannel), FieldRules.ExpectedString("defaultChannel"));
        Check(ref issues, Has(wrong, StatsFields.Channel), FieldRules.ExpectedString("channel"));
        Check(ref issues, Has(wrong, StatsFields.PluginVersion), FieldRules.ExpectedString("plugin_version"));

        List<KeyValuePair<string, string>>? metadata = null;
        if (Has(wrong, StatsFields.Metadata))
        {
            Check(ref issues, true, new FieldProblem("metadata", "Metadata must be an object of string values"));
        }
        else if (raw.Metadata is { } element && ReadMetadata(element, out metadata) is { } problem)
        {
            Check(ref issues, true, new FieldProblem("metadata", problem));
        }

        if (issues is not null)
        {
            return RequestError.Invalid(issues);
        }

        if (raw.Action is not null && !StatsActions.IsKnown(raw.Action))
        {
            return UnknownAction;
        }

        // As in the update check: a device on the bundle shipped in the binary reports its native version.
        var versionName = raw.VersionName == Names.Builtin && versionBuild is not null ? versionBuild : raw.VersionName;
        deviceEvent = new DeviceEvent
        {
            Kind = DeviceEventKind.Stats,
            AppId = raw.AppId!,
            DeviceId = raw.DeviceId!.ToLowerInvariant(),
            Platform = raw.Platform,
            Action = raw.Action,
            VersionName = versionName,
            OldVersionName = NullIfEmpty(raw.OldVersionName),
            VersionBuild = versionBuild,
            VersionCode = NullIfEmpty(raw.VersionCode),
            VersionOs = raw.VersionOs,
            PluginVersion = NullIfEmpty(raw.PluginVersion),
            IsEmulator = raw.IsEmulator ?? false,
            IsProd = raw.IsProd ?? true,
            CustomId = NullIfEmpty(raw.CustomId),
            InstallSource = installSource,
            KeyId = NullIfEmpty(raw.KeyId),
            DefaultChannel = NullIfEmpty(raw.DefaultChannel),
            Channel = NullIfEmpty(raw.Channel),
            Metadata = metadata,
        };
        return null;
    }

    /// <summary>Null when the metadata is valid (and fills it), else what is wrong.</summary>
    private static string? ReadMetadata(JsonElement element, out List<KeyValuePair<string, string>>? metadata)
    {
        metadata = null;
        var count = 0;
        foreach (var entry in element.EnumerateObject())
        {
            if (++count > MaxMetadataKeys)
            {
                metadata = null;
                return "Metadata must have at most 30 keys";
            }

            var key = entry.Name;
            if (key.Length > MaxMetadataKeyLength)
            {
                metadata = null;
                return "Metadata keys must be at most 64 characters";
            }

            if (entry.Value.ValueKind != JsonValueKind.String)
            {
                metadata = null;
                return "Metadata values must be strings";
            }

            var value = entry.Value.GetString()!;
            if (value.Length > MaxMetadataValueLength)
            {
                metadata = null;
                return "Metadata values must be at most 2048 characters";
            }

            (metadata ??= []).Add(new(key, value));
        }

        return null;
    }

    private static bool Has(StatsFields wrong, StatsFields field) => (wrong & field) != 0;

    private static void Check(ref List<FieldProblem>? issues, bool broken, FieldProblem problem)
    {
        if (broken)
        {
            (issues ??= []).Add(problem);
        }
    }

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;
}

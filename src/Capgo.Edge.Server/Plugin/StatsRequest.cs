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

    [Flags]
    private enum Fields
    {
        None = 0,
        AppId = 1 << 0,
        DeviceId = 1 << 1,
        Platform = 1 << 2,
        VersionName = 1 << 3,
        VersionOs = 1 << 4,
        IsEmulator = 1 << 5,
        IsProd = 1 << 6,
        Action = 1 << 7,
        VersionBuild = 1 << 8,
        OldVersionName = 1 << 9,
        VersionCode = 1 << 10,
        CustomId = 1 << 11,
        KeyId = 1 << 12,
        InstallSource = 1 << 13,
        DefaultChannel = 1 << 14,
        Channel = 1 << 15,
        PluginVersion = 1 << 16,
        Metadata = 1 << 17,
    }

    private struct Raw
    {
        public string? AppId;
        public string? DeviceId;
        public string? Platform;
        public string? VersionName;
        public string? VersionOs;
        public bool? IsEmulator;
        public bool? IsProd;
        public string? Action;
        public string? VersionBuild;
        public string? OldVersionName;
        public string? VersionCode;
        public string? CustomId;
        public string? KeyId;
        public string? InstallSource;
        public string? DefaultChannel;
        public string? Channel;
        public string? PluginVersion;
        public JsonElement? Metadata;
        public Fields WrongType;
        public int Properties;
    }

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

        var raw = default(Raw);
        foreach (var property in element.EnumerateObject())
        {
            raw.Properties++;
            ReadProperty(property, ref raw);
        }

        return Validate(raw, out deviceEvent);
    }

    /// <summary>The event's <c>app_id</c> when it is a string (valid or not), else null.</summary>
    public static string? AppIdOf(JsonElement element) =>
        element.ValueKind == JsonValueKind.Object
        && element.TryGetProperty("app_id"u8, out var value)
        && value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : null;

    private static RequestError? Validate(in Raw raw, out DeviceEvent deviceEvent)
    {
        deviceEvent = default;
        if (raw.Properties == 0)
        {
            return RequestError.EmptyBody;
        }

        var wrong = raw.WrongType;
        if (string.IsNullOrEmpty(raw.DeviceId) && !Has(wrong, Fields.DeviceId))
        {
            return RequestError.MissingDeviceId;
        }

        if (string.IsNullOrEmpty(raw.AppId) && !Has(wrong, Fields.AppId))
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
        Check(ref issues, Has(wrong, Fields.AppId) || !AppIds.IsValid(raw.AppId), FieldRules.AppId);
        Check(ref issues, Has(wrong, Fields.DeviceId) || !DeviceIds.IsValid(raw.DeviceId), FieldRules.DeviceId);
        Check(ref issues, Has(wrong, Fields.Platform) || raw.Platform is null, new FieldProblem("platform", "Platform must be a string"));
        Check(ref issues, Has(wrong, Fields.VersionName) || raw.VersionName is null, new FieldProblem("version_name", "Version name must be a string"));
        Check(ref issues, Has(wrong, Fields.VersionOs) || raw.VersionOs is null, new FieldProblem("version_os", "OS version must be a string"));
        Check(ref issues, Has(wrong, Fields.IsEmulator), FieldRules.ExpectedBoolean("is_emulator"));
        Check(ref issues, Has(wrong, Fields.IsProd), FieldRules.ExpectedBoolean("is_prod"));
        Check(ref issues, Has(wrong, Fields.Action), FieldRules.ExpectedString("action"));
        Check(ref issues, Has(wrong, Fields.VersionBuild), FieldRules.ExpectedString("version_build"));
        Check(ref issues, Has(wrong, Fields.OldVersionName), FieldRules.ExpectedString("old_version_name"));
        Check(ref issues, Has(wrong, Fields.VersionCode), FieldRules.ExpectedString("version_code"));
        Check(ref issues, Has(wrong, Fields.CustomId) || raw.CustomId?.Length > FieldRules.MaxCustomIdLength, FieldRules.CustomId);
        Check(ref issues, Has(wrong, Fields.KeyId) || raw.KeyId?.Length > FieldRules.MaxKeyIdLength, FieldRules.KeyId);
        Check(ref issues, Has(wrong, Fields.InstallSource) || installSource?.Length > FieldRules.MaxInstallSourceLength, FieldRules.InstallSource);
        Check(ref issues, Has(wrong, Fields.DefaultChannel), FieldRules.ExpectedString("defaultChannel"));
        Check(ref issues, Has(wrong, Fields.Channel), FieldRules.ExpectedString("channel"));
        Check(ref issues, Has(wrong, Fields.PluginVersion), FieldRules.ExpectedString("plugin_version"));

        List<KeyValuePair<string, string>>? metadata = null;
        if (Has(wrong, Fields.Metadata))
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

    private static void ReadProperty(JsonProperty property, ref Raw raw)
    {
        var field = Identify(property);
        if (field == Fields.None)
        {
            return;
        }

        var value = property.Value;
        switch (value.ValueKind)
        {
            case JsonValueKind.Null:
                // Null is absent, as in the update check.
                return;
            case JsonValueKind.String when field is not (Fields.IsEmulator or Fields.IsProd or Fields.Metadata):
                SetString(ref raw, field, value.GetString());
                return;
            case JsonValueKind.True or JsonValueKind.False when field == Fields.IsEmulator:
                raw.IsEmulator = value.GetBoolean();
                return;
            case JsonValueKind.True or JsonValueKind.False when field == Fields.IsProd:
                raw.IsProd = value.GetBoolean();
                return;
            case JsonValueKind.Object when field == Fields.Metadata:
                raw.Metadata = value;
                return;
            default:
                raw.WrongType |= field;
                return;
        }
    }

    private static Fields Identify(JsonProperty property)
    {
        // Ordered by how often the plugin sends them.
        if (property.NameEquals("app_id"u8))
        {
            return Fields.AppId;
        }

        if (property.NameEquals("device_id"u8))
        {
            return Fields.DeviceId;
        }

        if (property.NameEquals("action"u8))
        {
            return Fields.Action;
        }

        if (property.NameEquals("version_name"u8))
        {
            return Fields.VersionName;
        }

        if (property.NameEquals("version_build"u8))
        {
            return Fields.VersionBuild;
        }

        if (property.NameEquals("platform"u8))
        {
            return Fields.Platform;
        }

        if (property.NameEquals("plugin_version"u8))
        {
            return Fields.PluginVersion;
        }

        if (property.NameEquals("version_os"u8))
        {
            return Fields.VersionOs;
        }

        if (property.NameEquals("version_code"u8))
        {
            return Fields.VersionCode;
        }

        if (property.NameEquals("is_emulator"u8))
        {
            return Fields.IsEmulator;
        }

        if (property.NameEquals("is_prod"u8))
        {
            return Fields.IsProd;
        }

        if (property.NameEquals("old_version_name"u8))
        {
            return Fields.OldVersionName;
        }

        if (property.NameEquals("custom_id"u8))
        {
            return Fields.CustomId;
        }

        if (property.NameEquals("install_source"u8))
        {
            return Fields.InstallSource;
        }

        if (property.NameEquals("key_id"u8))
        {
            return Fields.KeyId;
        }

        if (property.NameEquals("defaultChannel"u8) || property.NameEquals("default_channel"u8))
        {
            return Fields.DefaultChannel;
        }

        if (property.NameEquals("channel"u8))
        {
            return Fields.Channel;
        }

        return property.NameEquals("metadata"u8) ? Fields.Metadata : Fields.None;
    }

    private static void SetString(ref Raw raw, Fields field, string? value)
    {
        switch (field)
        {
            case Fields.AppId: raw.AppId = value; break;
            case Fields.DeviceId: raw.DeviceId = value; break;
            case Fields.Platform: raw.Platform = value; break;
            case Fields.VersionName: raw.VersionName = value; break;
            case Fields.VersionOs: raw.VersionOs = value; break;
            case Fields.Action: raw.Action = value; break;
            case Fields.VersionBuild: raw.VersionBuild = value; break;
            case Fields.OldVersionName: raw.OldVersionName = value; break;
            case Fields.VersionCode: raw.VersionCode = value; break;
            case Fields.CustomId: raw.CustomId = value; break;
            case Fields.KeyId: raw.KeyId = value; break;
            case Fields.InstallSource: raw.InstallSource = value; break;
            case Fields.DefaultChannel: raw.DefaultChannel = value; break;
            case Fields.Channel: raw.Channel = value; break;
            case Fields.PluginVersion: raw.PluginVersion = value; break;
        }
    }

    private static bool Has(Fields wrong, Fields field) => (wrong & field) != 0;

    private static void Check(ref List<FieldProblem>? issues, bool broken, FieldProblem problem)
    {
        if (broken)
        {
            (issues ??= []).Add(problem);
        }
    }

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;
}

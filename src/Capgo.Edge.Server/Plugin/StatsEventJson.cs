using System.Text.Json;

namespace Capgo.Edge.Server.Plugin;

/// <summary>
/// Reads one <c>POST /stats</c> event from its JSON object into <see cref="RawStatsEvent"/>: the fields
/// as received (null = absent), and those present with a JSON type the contract does not allow.
/// </summary>
internal static class StatsEventJson
{
    /// <summary>The fields of an event already known to be a JSON object.</summary>
    /// <exception cref="InvalidOperationException">A string escape that is not valid UTF-16 (the body is not JSON).</exception>
    public static RawStatsEvent Read(JsonElement element)
    {
        var raw = default(RawStatsEvent);
        foreach (var property in element.EnumerateObject())
        {
            raw.Properties++;
            ReadProperty(property, ref raw);
        }

        return raw;
    }

    private static void ReadProperty(JsonProperty property, ref RawStatsEvent raw)
    {
        var field = Identify(property);
        if (field == StatsFields.None)
        {
            return;
        }

        var value = property.Value;
        switch (value.ValueKind)
        {
            case JsonValueKind.Null:
                // Null is absent, as in the update check.
                return;
            case JsonValueKind.String when field is not (StatsFields.IsEmulator or StatsFields.IsProd or StatsFields.Metadata):
                SetString(ref raw, field, value.GetString());
                return;
            case JsonValueKind.True or JsonValueKind.False when field == StatsFields.IsEmulator:
                raw.IsEmulator = value.GetBoolean();
                return;
            case JsonValueKind.True or JsonValueKind.False when field == StatsFields.IsProd:
                raw.IsProd = value.GetBoolean();
                return;
            case JsonValueKind.Object when field == StatsFields.Metadata:
                raw.Metadata = value;
                return;
            default:
                raw.WrongType |= field;
                return;
        }
    }

    private static StatsFields Identify(JsonProperty property)
    {
        // Ordered by how often the plugin sends them.
        if (property.NameEquals("app_id"u8))
        {
            return StatsFields.AppId;
        }

        if (property.NameEquals("device_id"u8))
        {
            return StatsFields.DeviceId;
        }

        if (property.NameEquals("action"u8))
        {
            return StatsFields.Action;
        }

        if (property.NameEquals("version_name"u8))
        {
            return StatsFields.VersionName;
        }

        if (property.NameEquals("version_build"u8))
        {
            return StatsFields.VersionBuild;
        }

        if (property.NameEquals("platform"u8))
        {
            return StatsFields.Platform;
        }

        if (property.NameEquals("plugin_version"u8))
        {
            return StatsFields.PluginVersion;
        }

        if (property.NameEquals("version_os"u8))
        {
            return StatsFields.VersionOs;
        }

        if (property.NameEquals("version_code"u8))
        {
            return StatsFields.VersionCode;
        }

        if (property.NameEquals("is_emulator"u8))
        {
            return StatsFields.IsEmulator;
        }

        if (property.NameEquals("is_prod"u8))
        {
            return StatsFields.IsProd;
        }

        if (property.NameEquals("old_version_name"u8))
        {
            return StatsFields.OldVersionName;
        }

        if (property.NameEquals("custom_id"u8))
        {
            return StatsFields.CustomId;
        }

        if (property.NameEquals("install_source"u8))
        {
            return StatsFields.InstallSource;
        }

        if (property.NameEquals("key_id"u8))
        {
            return StatsFields.KeyId;
        }

        if (property.NameEquals("defaultChannel"u8) || property.NameEquals("default_channel"u8))
        {
            return StatsFields.DefaultChannel;
        }

        if (property.NameEquals("channel"u8))
        {
            return StatsFields.Channel;
        }

        return property.NameEquals("metadata"u8) ? StatsFields.Metadata : StatsFields.None;
    }

    private static void SetString(ref RawStatsEvent raw, StatsFields field, string? value)
    {
        switch (field)
        {
            case StatsFields.AppId: raw.AppId = value; break;
            case StatsFields.DeviceId: raw.DeviceId = value; break;
            case StatsFields.Platform: raw.Platform = value; break;
            case StatsFields.VersionName: raw.VersionName = value; break;
            case StatsFields.VersionOs: raw.VersionOs = value; break;
            case StatsFields.Action: raw.Action = value; break;
            case StatsFields.VersionBuild: raw.VersionBuild = value; break;
            case StatsFields.OldVersionName: raw.OldVersionName = value; break;
            case StatsFields.VersionCode: raw.VersionCode = value; break;
            case StatsFields.CustomId: raw.CustomId = value; break;
            case StatsFields.KeyId: raw.KeyId = value; break;
            case StatsFields.InstallSource: raw.InstallSource = value; break;
            case StatsFields.DefaultChannel: raw.DefaultChannel = value; break;
            case StatsFields.Channel: raw.Channel = value; break;
            case StatsFields.PluginVersion: raw.PluginVersion = value; break;
        }
    }
}

/// <summary>The fields of a <c>/stats</c> event, as flags.</summary>
[Flags]
internal enum StatsFields
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

/// <summary>One <c>/stats</c> event as received, before validation.</summary>
internal struct RawStatsEvent
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
    public StatsFields WrongType;
    public int Properties;
}

using System.Text.Json;
using System.Text.Unicode;
using Capgo.Edge.Core;

namespace Capgo.Edge.Server.Updates;

/// <summary>
/// Reads a plugin's JSON body into <see cref="RawUpdateCheck"/> with one forward pass and no DOM.
/// It accepts exactly what the transcoded message can hold (strings, booleans, null as absent) and
/// reports everything else as a contract error rather than letting it reach the framework.
/// </summary>
internal static class UpdateRequestJson
{
    /// <summary>Deep enough for any real body; deeper input is refused as not parseable.</summary>
    public const int MaxDepth = 32;

    private static readonly JsonReaderOptions ReaderOptions = new()
    {
        MaxDepth = MaxDepth,
        CommentHandling = JsonCommentHandling.Disallow,
        AllowTrailingCommas = false,
    };

    /// <summary>Outcome of reading a body: syntax-level problems only; field rules are the validator's.</summary>
    public enum ReadStatus
    {
        Ok,
        NotJson,
        NotAnObject,
    }

    public static ReadStatus Read(ReadOnlySpan<byte> body, out RawUpdateCheck raw)
    {
        raw = default;
        var reader = new Utf8JsonReader(body, isFinalBlock: true, new JsonReaderState(ReaderOptions));
        try
        {
            if (!reader.Read())
            {
                return ReadStatus.NotJson;
            }

            if (reader.TokenType != JsonTokenType.StartObject)
            {
                // Still tell "not JSON" from "JSON but not an object".
                return ConsumeRest(ref reader) ? ReadStatus.NotAnObject : ReadStatus.NotJson;
            }

            var properties = 0;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (!IsValidUtf8(ref reader))
                {
                    return ReadStatus.NotJson;
                }

                properties++;
                var field = Identify(ref reader);
                reader.Read();
                if (!ReadValue(ref reader, field, ref raw))
                {
                    return ReadStatus.NotJson;
                }
            }

            // Anything after the closing brace is a syntax error the reader reports here.
            if (reader.Read())
            {
                return ReadStatus.NotJson;
            }

            raw.IsEmpty = properties == 0;
            return ReadStatus.Ok;
        }
        catch (JsonException)
        {
            return ReadStatus.NotJson;
        }
        catch (InvalidOperationException)
        {
            // GetString on an escape that is not valid UTF-16 (a lone surrogate).
            return ReadStatus.NotJson;
        }
    }

    private static bool ConsumeRest(ref Utf8JsonReader reader)
    {
        do
        {
            if ((reader.TokenType is JsonTokenType.String or JsonTokenType.PropertyName) && !IsValidUtf8(ref reader))
            {
                return false;
            }
        }
        while (reader.Read());

        return true;
    }

    private static bool ReadValue(ref Utf8JsonReader reader, CheckFields field, ref RawUpdateCheck raw)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.String:
                if (!IsValidUtf8(ref reader))
                {
                    return false;
                }

                if (field == CheckFields.None)
                {
                    return true;
                }

                if (IsBoolean(field))
                {
                    raw.WrongType |= field;
                    return true;
                }

                SetString(ref raw, field, reader.GetString());
                return true;

            case JsonTokenType.True or JsonTokenType.False:
                if (field == CheckFields.IsEmulator)
                {
                    raw.IsEmulator = reader.GetBoolean();
                }
                else if (field == CheckFields.IsProd)
                {
                    raw.IsProd = reader.GetBoolean();
                }
                else
                {
                    raw.WrongType |= field;
                }

                return true;

            case JsonTokenType.Null:
                // Null is absent: Android drops a null defaultChannel, others may send it.
                return true;

            case JsonTokenType.Number:
                raw.WrongType |= field;
                return true;

            default:
                // An object or array: wrong for every known field, ignored for unknown ones, but its
                // strings must still be valid UTF-8.
                raw.WrongType |= field;
                var depth = reader.CurrentDepth;
                while (reader.Read() && reader.CurrentDepth > depth)
                {
                    if ((reader.TokenType is JsonTokenType.String or JsonTokenType.PropertyName) && !IsValidUtf8(ref reader))
                    {
                        return false;
                    }
                }

                return true;
        }
    }

    private static bool IsValidUtf8(ref Utf8JsonReader reader) =>
        reader.ValueIsEscaped || Utf8.IsValid(reader.ValueSpan);

    private static bool IsBoolean(CheckFields field) => field is CheckFields.IsEmulator or CheckFields.IsProd;

    private static CheckFields Identify(ref Utf8JsonReader reader)
    {
        // Ordered by how often the plugin sends them; unknown names cost one pass over this list.
        if (reader.ValueTextEquals("app_id"u8))
        {
            return CheckFields.AppId;
        }

        if (reader.ValueTextEquals("device_id"u8))
        {
            return CheckFields.DeviceId;
        }

        if (reader.ValueTextEquals("version_name"u8))
        {
            return CheckFields.VersionName;
        }

        if (reader.ValueTextEquals("version_build"u8))
        {
            return CheckFields.VersionBuild;
        }

        if (reader.ValueTextEquals("platform"u8))
        {
            return CheckFields.Platform;
        }

        if (reader.ValueTextEquals("plugin_version"u8))
        {
            return CheckFields.PluginVersion;
        }

        if (reader.ValueTextEquals("is_emulator"u8))
        {
            return CheckFields.IsEmulator;
        }

        if (reader.ValueTextEquals("is_prod"u8))
        {
            return CheckFields.IsProd;
        }

        if (reader.ValueTextEquals("defaultChannel"u8) || reader.ValueTextEquals("default_channel"u8))
        {
            return CheckFields.DefaultChannel;
        }

        if (reader.ValueTextEquals("install_source"u8))
        {
            return CheckFields.InstallSource;
        }

        if (reader.ValueTextEquals("key_id"u8))
        {
            return CheckFields.KeyId;
        }

        if (reader.ValueTextEquals("custom_id"u8))
        {
            return CheckFields.CustomId;
        }

        if (reader.ValueTextEquals("version_code"u8))
        {
            return CheckFields.VersionCode;
        }

        if (reader.ValueTextEquals("version_os"u8))
        {
            return CheckFields.VersionOs;
        }

        return CheckFields.None;
    }

    private static void SetString(ref RawUpdateCheck raw, CheckFields field, string? value)
    {
        switch (field)
        {
            case CheckFields.AppId: raw.AppId = value; break;
            case CheckFields.DeviceId: raw.DeviceId = value; break;
            case CheckFields.VersionName: raw.VersionName = value; break;
            case CheckFields.VersionBuild: raw.VersionBuild = value; break;
            case CheckFields.Platform: raw.Platform = value; break;
            case CheckFields.PluginVersion: raw.PluginVersion = value; break;
            case CheckFields.DefaultChannel: raw.DefaultChannel = value; break;
            case CheckFields.InstallSource: raw.InstallSource = value; break;
            case CheckFields.KeyId: raw.KeyId = value; break;
            case CheckFields.CustomId: raw.CustomId = value; break;
            case CheckFields.VersionCode: raw.VersionCode = value; break;
            case CheckFields.VersionOs: raw.VersionOs = value; break;
        }
    }
}

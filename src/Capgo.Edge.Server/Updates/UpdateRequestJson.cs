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

    /// <summary>The contract's checks of a body, in order: syntax, shape, then the field rules.</summary>
    public static RequestError? Validate(ReadOnlySpan<byte> body, out UpdateCheck check) => Validate(Read(body, out var raw), raw, out check);

    /// <summary>The shape and field rules of a body already read (update-check.md §1).</summary>
    public static RequestError? Validate(ReadStatus status, in RawUpdateCheck raw, out UpdateCheck check)
    {
        check = default;
        return status switch
        {
            ReadStatus.NotJson => RequestError.InvalidJson,
            ReadStatus.NotAnObject => Plugin.PluginReplies.NotAnObject,
            _ => RequestValidator.Validate(raw, out check),
        };
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
            // GetString on bytes that are not valid UTF-8, or an escape that is not valid UTF-16 (a lone surrogate).
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
                if (field == CheckFields.None || IsBoolean(field))
                {
                    // Not transcoded, so checked here: invalid UTF-8 anywhere makes the body not JSON.
                    if (!IsValidUtf8(ref reader))
                    {
                        return false;
                    }

                    raw.WrongType |= field;
                    return true;
                }

                SetString(ref raw, field, ReadString(ref reader, field));
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

    /// <summary>
    /// Repeating fields come from the shared string table (<see cref="UpdateRequestReader"/> explains
    /// why); the device and custom ids, escaped values and malformed UTF-8 go through <c>GetString</c>,
    /// which refuses invalid UTF-8 itself (InvalidOperationException, caught by Read).
    /// </summary>
    private static string? ReadString(ref Utf8JsonReader reader, CheckFields field) =>
        field is CheckFields.DeviceId or CheckFields.CustomId || reader.ValueIsEscaped || reader.HasValueSequence
            ? reader.GetString()
            : Utf8StringCache.Requests.Get(reader.ValueSpan) ?? reader.GetString();

    private static bool IsValidUtf8(ref Utf8JsonReader reader) =>
        reader.ValueIsEscaped || Utf8.IsValid(reader.ValueSpan);

    private static bool IsBoolean(CheckFields field) => field is CheckFields.IsEmulator or CheckFields.IsProd;

    /// <summary>Longest escaped form of a known name worth unescaping (15 bytes, each escaped as \uXXXX).</summary>
    private const int MaxEscapedNameLength = 15 * 6;

    private static CheckFields Identify(ref Utf8JsonReader reader)
    {
        // Escaped names (rare) are unescaped first; every name is then told apart by length, so it
        // costs at most two byte comparisons instead of a pass over the list.
        if (!reader.ValueIsEscaped)
        {
            return Identify(reader.ValueSpan);
        }

        if (reader.ValueSpan.Length > MaxEscapedNameLength)
        {
            return CheckFields.None;
        }

        Span<byte> unescaped = stackalloc byte[MaxEscapedNameLength];
        return Identify(unescaped[..reader.CopyString(unescaped)]);
    }

    private static CheckFields Identify(ReadOnlySpan<byte> name) => name.Length switch
    {
        6 when name.SequenceEqual("app_id"u8) => CheckFields.AppId,
        6 when name.SequenceEqual("key_id"u8) => CheckFields.KeyId,
        7 when name.SequenceEqual("is_prod"u8) => CheckFields.IsProd,
        8 when name.SequenceEqual("platform"u8) => CheckFields.Platform,
        9 when name.SequenceEqual("device_id"u8) => CheckFields.DeviceId,
        9 when name.SequenceEqual("custom_id"u8) => CheckFields.CustomId,
        10 when name.SequenceEqual("version_os"u8) => CheckFields.VersionOs,
        11 when name.SequenceEqual("is_emulator"u8) => CheckFields.IsEmulator,
        12 when name.SequenceEqual("version_name"u8) => CheckFields.VersionName,
        12 when name.SequenceEqual("version_code"u8) => CheckFields.VersionCode,
        13 when name.SequenceEqual("version_build"u8) => CheckFields.VersionBuild,
        14 when name.SequenceEqual("plugin_version"u8) => CheckFields.PluginVersion,
        14 when name.SequenceEqual("defaultChannel"u8) => CheckFields.DefaultChannel,
        14 when name.SequenceEqual("install_source"u8) => CheckFields.InstallSource,
        15 when name.SequenceEqual("default_channel"u8) => CheckFields.DefaultChannel,
        _ => CheckFields.None,
    };

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

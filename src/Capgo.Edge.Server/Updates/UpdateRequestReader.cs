using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using Capgo.Edge.Contracts.V1;

namespace Capgo.Edge.Server.Updates;

/// <summary>
/// Reads a gRPC <see cref="UpdateRequest"/> from its protobuf bytes, taking the strings of the
/// low-cardinality fields from <see cref="Utf8StringCache.Requests"/> instead of decoding and allocating them on every
/// poll. Only the device id and the custom id, which differ per device, are always decoded.
/// </summary>
/// <remarks>
/// The fast path understands exactly the message the plugin sends: known fields with their declared
/// wire type, in one contiguous buffer. Anything else (an unknown field, a wrong wire type, a
/// truncated or malformed body, a payload split across buffers) is handed to the generated parser, so
/// every input gets the same message or the same <see cref="Google.Protobuf.InvalidProtocolBufferException"/>
/// as the generated parser gives.
/// </remarks>
internal static class UpdateRequestReader
{
    private const int VarintWire = 0;
    private const int LengthDelimitedWire = 2;

    public static UpdateRequest Read(ReadOnlySequence<byte> payload)
    {
        if (payload.IsSingleSegment && TryRead(payload.FirstSpan, Utf8StringCache.Requests, out var request))
        {
            return request;
        }

        return UpdateRequest.Parser.ParseFrom(payload);
    }

    /// <summary>False when the bytes need the generated parser (see the type's remarks); the message is then discarded.</summary>
    internal static bool TryRead(ReadOnlySpan<byte> data, Utf8StringCache strings, [NotNullWhen(true)] out UpdateRequest? request)
    {
        request = null;
        var message = new UpdateRequest();
        var position = 0;
        while (position < data.Length)
        {
            if (!TryReadVarint(data, ref position, out var tag) || tag > uint.MaxValue)
            {
                return false;
            }

            var field = (int)(tag >> 3);
            var wire = (int)(tag & 7);
            if (field is 7 or 8)
            {
                if (wire != VarintWire || !TryReadVarint(data, ref position, out var flag))
                {
                    return false;
                }

                if (field == 7)
                {
                    message.IsEmulator = flag != 0;
                }
                else
                {
                    message.IsProd = flag != 0;
                }

                continue;
            }

            if (field is < 1 or > 14 || wire != LengthDelimitedWire ||
                !TryReadVarint(data, ref position, out var length) || length > (ulong)(data.Length - position))
            {
                return false;
            }

            var bytes = data.Slice(position, (int)length);
            position += (int)length;

            // The device and custom ids differ per device: decoded, never cached.
            var value = field is 2 or 12 ? Utf8StringCache.Decode(bytes) : strings.Get(bytes);
            if (value is null)
            {
                // Malformed UTF-8: the generated parser throws for it.
                return false;
            }

            switch (field)
            {
                case 1: message.AppId = value; break;
                case 2: message.DeviceId = value; break;
                case 3: message.VersionName = value; break;
                case 4: message.VersionBuild = value; break;
                case 5: message.Platform = value; break;
                case 6: message.PluginVersion = value; break;
                case 9: message.DefaultChannel = value; break;
                case 10: message.InstallSource = value; break;
                case 11: message.KeyId = value; break;
                case 12: message.CustomId = value; break;
                case 13: message.VersionCode = value; break;
                default: message.VersionOs = value; break;
            }
        }

        request = message;
        return true;
    }

    /// <summary>A base-128 varint of at most ten bytes whose value fits 64 bits.</summary>
    private static bool TryReadVarint(ReadOnlySpan<byte> data, ref int position, out ulong value)
    {
        value = 0;
        for (var shift = 0; shift < 64 && position < data.Length; shift += 7)
        {
            var b = data[position++];
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                // The tenth byte may only carry the top bit of the value.
                return shift < 63 || b <= 1;
            }
        }

        return false;
    }
}

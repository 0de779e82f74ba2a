using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using Capgo.Edge.Contracts.V1;

namespace Capgo.Edge.Server.Updates;

/// <summary>
/// The HTTP JSON form of <see cref="UpdateReply"/>, written without the transcoder: the same fields,
/// names, order and omissions as gRPC JSON transcoding produces (proto field order, absent optional
/// fields left out, empty non-optional strings left out), proven equal by the tests that run both.
/// </summary>
internal static class UpdateReplyJson
{
    /// <summary>The transcoder's escaping (relaxed: '&gt;', '+', non-ASCII stay as they are), so the bytes match.</summary>
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_buffer;

    [ThreadStatic]
    private static Utf8JsonWriter? t_writer;

    /// <summary>
    /// Encodes a reply made for one request into a per-thread buffer; the bytes stay valid until the
    /// thread's next call, so the caller copies them out before it awaits.
    /// </summary>
    public static ReadOnlySpan<byte> EncodeOnThread(UpdateReply reply)
    {
        var buffer = t_buffer ??= new ArrayBufferWriter<byte>(512);
        buffer.ResetWrittenCount();
        var writer = t_writer ??= new Utf8JsonWriter(buffer, WriterOptions);
        writer.Reset(buffer);
        Write(writer, reply);
        writer.Flush();
        return buffer.WrittenSpan;
    }

    internal static byte[] Serialize(UpdateReply reply)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            Write(writer, reply);
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Fields in proto order, as the transcoder writes them.</summary>
    internal static void Write(Utf8JsonWriter writer, UpdateReply reply)
    {
        writer.WriteStartObject();
        if (reply.HasVersion)
        {
            writer.WriteString("version"u8, reply.Version);
        }

        if (reply.HasUrl)
        {
            writer.WriteString("url"u8, reply.Url);
        }

        if (reply.HasSessionKey)
        {
            writer.WriteString("session_key"u8, reply.SessionKey);
        }

        if (reply.HasChecksum)
        {
            writer.WriteString("checksum"u8, reply.Checksum);
        }

        if (reply.Manifest.Count > 0)
        {
            writer.WriteStartArray("manifest"u8);
            foreach (var entry in reply.Manifest)
            {
                writer.WriteStartObject();
                WriteUnlessEmpty(writer, "file_name"u8, entry.FileName);
                WriteUnlessEmpty(writer, "file_hash"u8, entry.FileHash);
                WriteUnlessEmpty(writer, "download_url"u8, entry.DownloadUrl);
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
        }

        if (reply.HasLink)
        {
            writer.WriteString("link"u8, reply.Link);
        }

        if (reply.HasComment)
        {
            writer.WriteString("comment"u8, reply.Comment);
        }

        if (reply.HasError)
        {
            writer.WriteString("error"u8, reply.Error);
        }

        if (reply.HasMessage)
        {
            writer.WriteString("message"u8, reply.Message);
        }

        if (reply.HasKind)
        {
            writer.WriteString("kind"u8, reply.Kind);
        }

        if (reply.HasOld)
        {
            writer.WriteString("old"u8, reply.Old);
        }

        if (reply.HasMajor)
        {
            writer.WriteBoolean("major"u8, reply.Major);
        }

        if (reply.HasDeviceKeyId)
        {
            writer.WriteString("deviceKeyId"u8, reply.DeviceKeyId);
        }

        if (reply.HasBundleKeyId)
        {
            writer.WriteString("bundleKeyId"u8, reply.BundleKeyId);
        }

        // Rejections (the only replies with moreInfo) are written by PluginReplies, never here.
        if (reply.MoreInfo is not null)
        {
            throw new InvalidOperationException("moreInfo belongs to rejections, which PluginReplies writes");
        }

        writer.WriteEndObject();
    }

    // Proto3 non-optional strings: the transcoder (IgnoreDefaultValues) leaves empty ones out.
    private static void WriteUnlessEmpty(Utf8JsonWriter writer, ReadOnlySpan<byte> name, string value)
    {
        if (value.Length > 0)
        {
            writer.WriteString(name, value);
        }
    }
}

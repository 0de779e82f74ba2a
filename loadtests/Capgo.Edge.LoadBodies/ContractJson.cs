using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Google.Protobuf;

namespace Capgo.Edge.LoadBodies;

/// <summary>
/// A message as one line of JSON, as a plugin sends it: the contract's JSON mapping (json_name, set optional
/// fields even when empty) from <see cref="JsonFormatter"/>, without its spaces.
/// </summary>
public static class ContractJson
{
    private static readonly JsonWriterOptions Compact = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static string Format(IMessage message)
    {
        using var document = JsonDocument.Parse(JsonFormatter.Default.Format(message));
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, Compact))
        {
            document.WriteTo(writer);
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}

using System.Text.Json;
using System.Text.Json.Serialization;
using Capgo.Edge.Contracts.V1;
using Google.Protobuf;

namespace Capgo.Edge.Server.Updates;

/// <summary>
/// The answer of <c>CheckForUpdate</c>: the proto message, and for replies served to many calls (offers,
/// constant outcomes; see <see cref="ReplyBuilder"/>) its protobuf and JSON bytes, encoded once when
/// it is made. The gRPC marshaller (<see cref="UpdateServiceBinding"/>) and the JSON endpoint
/// (<see cref="JsonCheckEndpoint"/>) write those bytes; a reply built for one request is encoded by
/// whichever writes it. Shared replies are never mutated.
/// </summary>
[JsonConverter(typeof(TranscodingConverter))]
internal sealed class CheckReply
{
    private CheckReply(UpdateReply message, byte[]? protobuf, byte[]? json, long generation = 0)
    {
        Message = message;
        Protobuf = protobuf;
        Json = json;
        Generation = generation;
    }

    public UpdateReply Message { get; }

    /// <summary>The encoded message, for shared replies; null for a reply made for one request.</summary>
    public byte[]? Protobuf { get; }

    /// <summary>The body of <c>POST /updates</c>, for shared replies; null for a reply made for one request.</summary>
    public byte[]? Json { get; }

    /// <summary>
    /// For a reply made for one call, the generation gRPC writes into its <c>generation</c> field (0: none).
    /// <see cref="Message"/> stays without it, as JSON transcoding writes that message.
    /// </summary>
    public long Generation { get; }

    /// <summary>A reply for one request, encoded when written; gRPC adds <paramref name="generation"/> when not 0.</summary>
    public static CheckReply For(UpdateReply message, long generation = 0) => new(message, null, null, generation);

    /// <summary>A reply served to many calls, encoded now for every transport.</summary>
    public static CheckReply Shared(UpdateReply message) => new(message, message.ToByteArray(), UpdateReplyJson.Serialize(message));

    /// <summary>
    /// This shared reply as gRPC sends it for one app snapshot: its protobuf bytes followed by the
    /// <c>generation</c> field. Protobuf reads concatenated messages as one merged message, so the
    /// shared bytes are reused as they are. The JSON body is unchanged: HTTP carries the generation
    /// in a header.
    /// </summary>
    public CheckReply WithGeneration(long generation)
    {
        var field = new UpdateReply { Generation = generation }.ToByteArray();
        return new CheckReply(Message, [.. Protobuf!, .. field], Json);
    }

    /// <summary>
    /// Stock gRPC JSON transcoding (the reference the endpoint is tested against) serialises the
    /// response by its runtime type: this hands it the proto message, written by the transcoder's own
    /// message converter from the options it passes in.
    /// </summary>
    private sealed class TranscodingConverter : JsonConverter<CheckReply>
    {
        public override CheckReply Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            For(JsonSerializer.Deserialize<UpdateReply>(ref reader, options)!);

        public override void Write(Utf8JsonWriter writer, CheckReply value, JsonSerializerOptions options) =>
            JsonSerializer.Serialize(writer, value.Message, options);
    }
}

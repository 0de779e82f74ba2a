using System.Buffers;
using BenchmarkDotNet.Attributes;
using Capgo.Edge.Contracts.V1;
using Capgo.Edge.Core;
using Capgo.Edge.Server.Updates;
using Google.Protobuf;

namespace Capgo.Edge.Benchmarks;

/// <summary>
/// Writing replies: the cached offer of the sample's 1.4.0 bundle (with manifest, link and comment)
/// as protobuf and as JSON, and building a blocked reply (not cached: one message per request).
/// JSON uses Google.Protobuf's <see cref="JsonFormatter"/> as a proxy for the transcoder's writer.
/// </summary>
[MemoryDiagnoser]
public class ReplySerializationBenchmarks : IDisposable
{
    private UpdateReply _offer = null!;
    private readonly System.Buffers.ArrayBufferWriter<byte> _jsonBuffer = new(1024);
    private System.Text.Json.Utf8JsonWriter _jsonWriter = null!;
    private UpdateReply _blockedReply = null!;
    private UpdateDecision _blocked;
    private UpdateCheck _blockedCheck;
    private UpdateDecision _offerDecision;
    private UpdateCheck _offerCheck;
    private ArrayBufferWriter<byte> _buffer = null!;
    private byte[] _array = null!;
    private JsonFormatter _formatter = null!;

    [GlobalSetup]
    public void Setup()
    {
        var data = BenchData.Instance;
        _offer = ReplyBuilder.Offer(data.Snapshot.Bundles["1.4.0"], includeManifest: true, includeMetadata: true).Result.Message;
        _blockedCheck = data.Blocked;
        _offerCheck = data.Offer;
        _offerDecision = data.OfferDecision;
        _jsonWriter = new System.Text.Json.Utf8JsonWriter(_jsonBuffer);
        _blocked = UpdateDecider.Decide(data.Snapshot, _blockedCheck);
        _blockedReply = ReplyBuilder.Build(_blocked, _blockedCheck);
        _buffer = new ArrayBufferWriter<byte>(4096);
        _array = new byte[4096];
        _formatter = new JsonFormatter(JsonFormatter.Settings.Default);
        if (Offer_Json_JsonFormatter().Contains("\"error\"", StringComparison.Ordinal) ||
            _blockedReply.Error != "disable_auto_update_to_major")
        {
            throw new InvalidOperationException("unexpected replies");
        }
    }

    /// <summary>Into a reused buffer, as the gRPC server writes into the response pipe.</summary>
    [Benchmark(Baseline = true)]
    public int Offer_Protobuf_WriteToBufferWriter()
    {
        _buffer.ResetWrittenCount();
        _offer.WriteTo(_buffer);
        return _buffer.WrittenCount;
    }

    [Benchmark]
    public int Offer_Protobuf_WriteToSpan()
    {
        var size = _offer.CalculateSize();
        _offer.WriteTo(_array.AsSpan(0, size));
        return size;
    }

    [Benchmark]
    public byte[] Offer_Protobuf_ToByteArray() => _offer.ToByteArray();

    [Benchmark]
    public string Offer_Json_JsonFormatter() => _formatter.Format(_offer);

    /// <summary>Offers come from the per-bundle cache: a lookup, no message.</summary>
    [Benchmark]
    public UpdateReply Offer_FromCache() => ReplyBuilder.Build(_offerDecision, _offerCheck);

    /// <summary>A blocked reply is built per request.</summary>
    [GlobalCleanup]
    public void Dispose()
    {
        _jsonWriter?.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>The UTF-8 JSON bytes <c>POST /updates</c> writes for the offer (serialised once per bundle variant).</summary>
    [Benchmark]
    public byte[] Offer_Json_FromCache() =>
        ReplyBuilder.Shared(_offerDecision, _offerCheck)!.Result.Json!;

    /// <summary>A reply that carries request values, written with the direct path's JSON writer.</summary>
    [Benchmark]
    public int Blocked_Json_Direct()
    {
        _jsonBuffer.ResetWrittenCount();
        _jsonWriter.Reset(_jsonBuffer);
        UpdateReplyJson.Write(_jsonWriter, ReplyBuilder.Build(_blocked, _blockedCheck));
        _jsonWriter.Flush();
        return _jsonBuffer.WrittenCount;
    }

    [Benchmark]
    public UpdateReply Blocked_Build() => ReplyBuilder.Build(_blocked, _blockedCheck);

    [Benchmark]
    public int Blocked_BuildAndWriteTo()
    {
        var reply = ReplyBuilder.Build(_blocked, _blockedCheck);
        _buffer.ResetWrittenCount();
        reply.WriteTo(_buffer);
        return _buffer.WrittenCount;
    }

    [Benchmark]
    public string Blocked_Json_JsonFormatter() => _formatter.Format(_blockedReply);
}

using BenchmarkDotNet.Attributes;
using Capgo.Edge.Contracts.V1;
using Capgo.Edge.Core;
using Capgo.Edge.Server.Updates;
using Google.Protobuf;

namespace Capgo.Edge.Benchmarks;

/// <summary>
/// Reading the Android vector on each transport: the protobuf message (gRPC) and the plugin's JSON
/// (the JSON endpoint's <see cref="UpdateRequestJson"/> pass, then validation). The
/// <c>Json_ProtobufJsonParser</c> row is a proxy for the transcoder's second parse of the same body
/// into an <see cref="UpdateRequest"/> (the transcoder itself uses System.Text.Json converters).
/// </summary>
[MemoryDiagnoser]
public class RequestParsingBenchmarks
{
    private byte[] _protobuf = null!;
    private byte[] _json = null!;
    private string _jsonText = null!;
    private RawUpdateCheck _raw;
    private JsonParser _parser = null!;

    [GlobalSetup]
    public void Setup()
    {
        var data = BenchData.Instance;
        _protobuf = data.AndroidRequestBytes;
        _json = data.AndroidVectorUtf8;
        _jsonText = BenchData.AndroidVectorJson;
        _parser = new JsonParser(JsonParser.Settings.Default.WithIgnoreUnknownFields(true));
        if (UpdateRequestJson.Read(_json, out _raw) != UpdateRequestJson.ReadStatus.Ok)
        {
            throw new InvalidOperationException("the vector must read");
        }

        if (Protobuf_ParseAndValidate() || Json_ReadAndValidate() || Validate_Only())
        {
            throw new InvalidOperationException("the vector must validate");
        }
    }

    [Benchmark(Baseline = true)]
    public UpdateRequest Protobuf_ParseFrom() => UpdateRequest.Parser.ParseFrom(_protobuf);

    /// <summary>
    /// The server's request marshaller (<see cref="UpdateRequestReader"/>): the same message, with the
    /// strings of repeating fields taken from its table (warm here, as under a stream of polls).
    /// </summary>
    [Benchmark]
    public UpdateRequest Protobuf_Reader() => UpdateRequestReader.Read(new System.Buffers.ReadOnlySequence<byte>(_protobuf));

    /// <summary>What a gRPC check does before deciding: read, map, validate. True when invalid.</summary>
    [Benchmark]
    public bool Protobuf_ParseAndValidate()
    {
        var request = UpdateRequestReader.Read(new System.Buffers.ReadOnlySequence<byte>(_protobuf));
        return RequestValidator.Validate(RequestMapping.ToRaw(request), out _) is not null;
    }

    [Benchmark]
    public int Json_Read() => (int)UpdateRequestJson.Read(_json, out _);

    /// <summary>The JSON endpoint's check (<c>UpdateRequestJson.Validate</c>). True when invalid.</summary>
    [Benchmark]
    public bool Json_ReadAndValidate()
    {
        UpdateRequestJson.Read(_json, out var raw);
        return RequestValidator.Validate(raw, out _) is not null;
    }

    /// <summary>Validation alone, from fields already read. True when invalid.</summary>
    [Benchmark]
    public bool Validate_Only() => RequestValidator.Validate(_raw, out _) is not null;

    /// <summary>Proxy for the transcoder's parse of the same JSON body into the message.</summary>
    [Benchmark]
    public UpdateRequest Json_ProtobufJsonParser() => _parser.Parse<UpdateRequest>(_jsonText);
}

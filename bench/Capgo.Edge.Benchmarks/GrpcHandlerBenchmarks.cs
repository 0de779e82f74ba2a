using System.Buffers;
using BenchmarkDotNet.Attributes;
using Capgo.Edge.Contracts.V1;
using Capgo.Edge.Server.Updates;
using Google.Protobuf;

namespace Capgo.Edge.Benchmarks;

/// <summary>
/// The gRPC service in process: <see cref="UpdateServiceImpl.CheckForUpdate"/> against
/// <see cref="UpdateServiceImpl.Echo"/> (the baseline: the cheapest handler the framework can call).
/// Rows without a suffix start from the parsed message, as the framework hands it over; the
/// <c>_WithCodec</c> rows also parse the request bytes and write the reply, as a gRPC call does.
/// </summary>
[MemoryDiagnoser]
public class GrpcHandlerBenchmarks
{
    private UpdateServiceImpl _service = null!;
    private TestServerCallContext _grpc = null!;
    private UpdateRequest _offer = null!;
    private UpdateRequest _upToDate = null!;
    private UpdateRequest _blocked = null!;
    private UpdateRequest _rolloutHit = null!;
    private EchoRequest _echo = null!;
    private byte[] _offerBytes = null!;
    private byte[] _echoBytes = null!;
    private ArrayBufferWriter<byte> _buffer = null!;

    [GlobalSetup]
    public void Setup()
    {
        var data = BenchData.Instance;
        _service = BenchData.CreateService(data.CreateStore());
        _grpc = TestServerCallContext.Create("application/grpc", "/capgo.edge.v1.UpdateService/CheckForUpdate");
        _offer = data.AndroidRequest;
        _upToDate = BenchData.With(_offer, r => r.VersionName = "1.6.0-beta.1");
        _blocked = BenchData.With(_offer, r => r.VersionBuild = "0.9.0");
        _rolloutHit = BenchData.With(_offer, r =>
        {
            r.ClearDefaultChannel();
            r.DeviceId = data.RolloutHitDeviceId;
        });

        // An echo payload as long as the update request, so both calls move similar bytes.
        _echo = new EchoRequest { Payload = new string('x', _offer.CalculateSize()) };
        _offerBytes = _offer.ToByteArray();
        _echoBytes = _echo.ToByteArray();
        _buffer = new ArrayBufferWriter<byte>(4096);

        Expect(Check(_offer).Result.Message.Version == "1.6.0-beta.1", "offer");
        Expect(Check(_upToDate).Result.Message.Error == "no_new_version_available", "up to date");
        Expect(Check(_blocked).Result.Message.Error == "disable_auto_update_to_major", "blocked");
        Expect(Check(_rolloutHit).Result.Message.Version == "1.5.0", "rollout hit");
        Expect(Check(_offer).Result.Message.Generation == 0 && UpdateReply.Parser.ParseFrom(Check(_offer).Result.Protobuf).Generation == 1,
            "the generation field in the offer's gRPC bytes only");
    }

    [Benchmark(Baseline = true)]
    public Task<EchoReply> Echo() => _service.Echo(_echo, _grpc);

    [Benchmark]
    public Task CheckForUpdate_Offer() => Check(_offer);

    [Benchmark]
    public Task CheckForUpdate_UpToDate() => Check(_upToDate);

    [Benchmark]
    public Task CheckForUpdate_Blocked() => Check(_blocked);

    [Benchmark]
    public Task CheckForUpdate_RolloutHit() => Check(_rolloutHit);

    [Benchmark]
    public int Echo_WithCodec()
    {
        var request = EchoRequest.Parser.ParseFrom(_echoBytes);
        var reply = _service.Echo(request, _grpc).Result;
        _buffer.ResetWrittenCount();
        reply.WriteTo(_buffer);
        return _buffer.WrittenCount;
    }

    [Benchmark]
    public int CheckForUpdate_Offer_WithCodec()
    {
        // The server's request marshaller: the generated parser's message, repeating strings reused.
        var request = UpdateRequestReader.Read(new ReadOnlySequence<byte>(_offerBytes));
        var reply = Check(request).Result.Message;
        _buffer.ResetWrittenCount();
        reply.WriteTo(_buffer);
        return _buffer.WrittenCount;
    }

    private Task<CheckReply> Check(UpdateRequest request)
    {
        // A real call starts with empty trailers; the handler adds the generation.
        _grpc.HttpTrailers.Clear();
        return _service.CheckForUpdate(request, _grpc);
    }

    private static void Expect(bool condition, string what)
    {
        if (!condition)
        {
            throw new InvalidOperationException("unexpected reply: " + what);
        }
    }
}

using BenchmarkDotNet.Attributes;
using Capgo.Edge.Contracts.V1;
using Capgo.Edge.Core;
using Capgo.Edge.Server.Events;
using Capgo.Edge.Server.Updates;

namespace Capgo.Edge.Benchmarks;

/// <summary>
/// The stages of <see cref="UpdateServiceImpl.CheckForUpdate"/> one by one, on the offer path of
/// <see cref="GrpcHandlerBenchmarks"/>, so the handler's time can be read as a sum: mapping,
/// validation, app lookup, decision, event filter, generation trailer, reply. The two clock reads and
/// the metric record are not rows here. <see cref="Handler"/> is the whole handler, the baseline.
/// </summary>
[MemoryDiagnoser]
public class CheckStagesBenchmarks
{
    private UpdateServiceImpl _service = null!;
    private TestServerCallContext _grpc = null!;
    private UpdateRequest _offer = null!;
    private RawUpdateCheck _raw;
    private UpdateCheck _check;
    private UpdateDecision _decision;
    private ProjectionStore _store = null!;
    private AppSnapshot _app = null!;
    private CheckEventFilter _filter = null!;
    private long _timestamp;

    [GlobalSetup]
    public void Setup()
    {
        var data = BenchData.Instance;
        _store = data.CreateStore();
        _service = BenchData.CreateService(_store);
        _grpc = TestServerCallContext.Create("application/grpc", "/capgo.edge.v1.UpdateService/CheckForUpdate");
        _offer = data.AndroidRequest;
        _raw = RequestMapping.ToRaw(_offer);
        if (RequestValidator.Validate(_raw, out _check) is not null)
        {
            throw new InvalidOperationException("the offer request does not validate");
        }

        _app = _store.Find(_check.AppId) ?? throw new InvalidOperationException("the sample app is not in the store");
        _decision = UpdateDecider.Decide(_app, _check);
        _filter = new CheckEventFilter(new EventOptions(), TimeProvider.System);
        _timestamp = TimeProvider.System.GetTimestamp();
        if (_decision.Outcome != Outcome.UpdateAvailable || ((Task<CheckReply>)Handler()).Result.Message.Version != "1.6.0-beta.1")
        {
            throw new InvalidOperationException("the offer path does not offer 1.6.0-beta.1");
        }
    }

    [Benchmark(Baseline = true)]
    public Task Handler()
    {
        _grpc.HttpTrailers.Clear();
        return _service.CheckForUpdate(_offer, _grpc);
    }

    [Benchmark]
    public RawUpdateCheck Map() => RequestMapping.ToRaw(_offer);

    [Benchmark]
    public RequestError? Validate() => RequestValidator.Validate(_raw, out _);

    [Benchmark]
    public AppSnapshot? Lookup() => _store.Find(_check.AppId);

    [Benchmark]
    public UpdateDecision Decide() => UpdateDecider.Decide(_app, _check);

    /// <summary>The event filter's key alone (copy of the parts, one hash).</summary>
    [Benchmark]
    public ulong EventKey() => CheckEventFilter.Key(_check, _decision);

    /// <summary>The key and the table probe: what a repeated poll costs the event path.</summary>
    [Benchmark]
    public bool EventFilter() => _filter.ShouldSend(_check, _decision, _timestamp);

    [Benchmark]
    public Task Reply() => ReplyBuilder.Reply(_decision, _check);

    /// <summary>The shared reply as gRPC sends it for this snapshot (with the generation field): a lookup in the snapshot's cache.</summary>
    [Benchmark]
    public Task GenerationReply() => UpdateServiceImpl.WithGeneration(ReplyBuilder.Shared(_decision, _check)!, _app);
}

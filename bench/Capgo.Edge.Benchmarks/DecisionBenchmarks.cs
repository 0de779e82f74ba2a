using BenchmarkDotNet.Attributes;
using Capgo.Edge.Core;

namespace Capgo.Edge.Benchmarks;

/// <summary><see cref="UpdateDecider.Decide"/> on each main path. Budget: 0 bytes.</summary>
[MemoryDiagnoser]
public class DecisionBenchmarks
{
    private AppSnapshot _app = null!;
    private UpdateCheck _offer;
    private UpdateCheck _upToDate;
    private UpdateCheck _blocked;
    private UpdateCheck _rolloutHit;
    private UpdateCheck _rolloutMiss;
    private UpdateCheck _override;

    [GlobalSetup]
    public void Setup()
    {
        var data = BenchData.Instance;
        _app = data.Snapshot;
        _offer = data.Offer;
        _upToDate = data.UpToDate;
        _blocked = data.Blocked;
        _rolloutHit = data.RolloutHit;
        _rolloutMiss = data.RolloutMiss;
        _override = data.Override;

        Expect(Decide_Offer(), Outcome.UpdateAvailable, "1.6.0-beta.1");
        Expect(Decide_UpToDate(), Outcome.NoNewVersionAvailable, null);
        Expect(Decide_Blocked(), Outcome.DisableAutoUpdateToMajor, null);
        Expect(Decide_RolloutHit(), Outcome.UpdateAvailable, "1.5.0");
        Expect(Decide_RolloutMiss(), Outcome.UpdateAvailable, "1.4.0");
        Expect(Decide_Override(), Outcome.UpdateAvailable, "1.6.0-dev.3");
    }

    [Benchmark(Baseline = true)]
    public UpdateDecision Decide_Offer() => UpdateDecider.Decide(_app, _offer);

    [Benchmark]
    public UpdateDecision Decide_UpToDate() => UpdateDecider.Decide(_app, _upToDate);

    [Benchmark]
    public UpdateDecision Decide_Blocked() => UpdateDecider.Decide(_app, _blocked);

    [Benchmark]
    public UpdateDecision Decide_RolloutHit() => UpdateDecider.Decide(_app, _rolloutHit);

    [Benchmark]
    public UpdateDecision Decide_RolloutMiss() => UpdateDecider.Decide(_app, _rolloutMiss);

    [Benchmark]
    public UpdateDecision Decide_Override() => UpdateDecider.Decide(_app, _override);

    private static void Expect(UpdateDecision decision, Outcome outcome, string? bundle)
    {
        if (decision.Outcome != outcome || (bundle is not null && decision.Bundle?.Name != bundle))
        {
            throw new InvalidOperationException($"expected {outcome} {bundle}, got {decision.Outcome} {decision.Bundle?.Name}");
        }
    }
}

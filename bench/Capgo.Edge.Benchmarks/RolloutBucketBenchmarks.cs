using BenchmarkDotNet.Attributes;
using Capgo.Edge.Core;

namespace Capgo.Edge.Benchmarks;

/// <summary><see cref="RolloutBucket.Compute"/> for a lower-case (Android) and an upper-case (iOS) device id. Budget: 0 bytes.</summary>
[MemoryDiagnoser]
public class RolloutBucketBenchmarks
{
    private string _rolloutId = null!;
    private string _lowerDevice = null!;
    private string _upperDevice = null!;

    [GlobalSetup]
    public void Setup()
    {
        _rolloutId = BenchData.Instance.Rollout.Id;
        _lowerDevice = "00009a6b-eefe-490a-9c60-8e965132ae51";
        _upperDevice = "6F1C2B9A-4D3E-4A5B-9C8D-7E6F5A4B3C2D";
        if (Bucket_UpperCaseDevice() != RolloutBucket.Compute(_rolloutId, _upperDevice.ToLowerInvariant()))
        {
            throw new InvalidOperationException("bucketing must ignore the device id's case");
        }
    }

    [Benchmark(Baseline = true)]
    public int Bucket_LowerCaseDevice() => RolloutBucket.Compute(_rolloutId, _lowerDevice);

    [Benchmark]
    public int Bucket_UpperCaseDevice() => RolloutBucket.Compute(_rolloutId, _upperDevice);
}

using System.Text.Json;

namespace Capgo.Edge.LoadPlot.Tests;

/// <summary>What the chart draws, computed from a results.json's runs: medians, spreads, ratios and percentiles.</summary>
public sealed class LoadSummaryTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("load-plot-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private LoadSummary Summarize()
    {
        var path = Path.Combine(_folder, "results.json");
        File.WriteAllText(path, ResultsFixture.Build().ToJsonString());
        return LoadSummary.From(LoadResults.Read(path));
    }

    [Fact]
    public void EachTransportShowsItsCheckFirstThenItsEchoesInTheOrderTheRunMetThem()
    {
        var names = Summarize().Scenarios.Select(s => s.Name);

        Assert.Equal(["grpc-check", "grpc-echo", "http-check", "http-echo", "http-echo-raw"], names);
    }

    [Fact]
    public void ThroughputIsTheMedianOfTheRepetitionsWithTheirMinimumAndMaximum()
    {
        var scenarios = Summarize().Scenarios.ToDictionary(s => s.Name);

        Assert.Equal((33_000, 30_000, 34_000), (scenarios["grpc-check"].RpsMedian, scenarios["grpc-check"].RpsMin, scenarios["grpc-check"].RpsMax));
        Assert.Equal((50_000, 40_000, 60_000), (scenarios["http-echo-raw"].RpsMedian, scenarios["http-echo-raw"].RpsMin, scenarios["http-echo-raw"].RpsMax));
        Assert.All(scenarios.Values, s => Assert.Equal(3, s.Reps));
    }

    [Fact]
    public void EveryCheckIsDividedByEachEchoOfItsTransportRepetitionByRepetition()
    {
        var ratios = Summarize().Ratios.ToDictionary(r => (r.Check, r.Echo), r => r.RpsRatio);

        Assert.Equal(3, ratios.Count);
        // grpc: 30/40, 33/44, 34/42 = 0.75, 0.75, 0.8095: the median of the per-repetition ratios, not 33/42 of the medians.
        Assert.Equal(0.75, ratios[("grpc-check", "grpc-echo")], 9);
        // http ÷ http-echo: 0.5, 0.48, 0.5; ÷ http-echo-raw: 0.2, 0.3, 0.2.
        Assert.Equal(0.5, ratios[("http-check", "http-echo")], 9);
        Assert.Equal(0.2, ratios[("http-check", "http-echo-raw")], 9);
    }

    [Fact]
    public void EachPercentileIsTheMedianOverRepetitionsAndAMissingP999IsLeftOut()
    {
        var scenarios = Summarize().Scenarios.ToDictionary(s => s.Name);

        Assert.Equal(["p50", "p90", "p99", "p99.9"], Percentile.All.Select(p => p.Label));
        Assert.Equal([1.5, 3.0, 6.0, 12.0], scenarios["grpc-check"].LatencyMs);
        // http-echo's first repetition has no p99.9: the median of the other two (20, 18).
        Assert.Equal([2.2, 4.4, 8.8, 19.0], scenarios["http-echo"].LatencyMs);
    }

    [Fact]
    public void AResultsFileWithoutP999AtAllDrawsNoP999Point()
    {
        var results = ResultsFixture.Build();
        foreach (var run in results["runs"]!.AsArray())
        {
            run!.AsObject().Remove("p99_9_ms");
        }
        var path = Path.Combine(_folder, "results.json");
        File.WriteAllText(path, results.ToJsonString());

        var summary = LoadSummary.From(LoadResults.Read(path));

        Assert.All(summary.Scenarios, s => Assert.Null(s.LatencyMs[3]));
        Assert.All(summary.Scenarios, s => Assert.NotNull(s.LatencyMs[2]));
    }

    [Fact]
    public void TheMedianOfAnEvenCountIsTheMeanOfTheMiddleTwoAsPythonsIs()
    {
        Assert.Equal(2.5, LoadSummary.Median([4.0, 1.0, 3.0, 2.0]));
        Assert.Equal(3.0, LoadSummary.Median([5.0, 3.0, 1.0]));
    }

    [Fact]
    public void AResultsFileWithoutRunsIsRefusedNamingWhy()
    {
        var path = Path.Combine(_folder, "results.json");
        File.WriteAllText(path, """{"mode": "smoke", "runs": []}""");

        var error = Assert.Throws<InvalidDataException>(() => LoadResults.Read(path));

        Assert.Contains("no runs", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ARunWithoutItsRateIsRefusedNamingTheField()
    {
        var path = Path.Combine(_folder, "results.json");
        File.WriteAllText(path, """{"mode": "smoke", "runs": [{"scenario": "grpc-check", "transport": "grpc", "kind": "check", "rep": 1}]}""");

        var error = Assert.Throws<JsonException>(() => LoadResults.Read(path));

        Assert.Contains("rps", error.Message, StringComparison.Ordinal);
    }
}

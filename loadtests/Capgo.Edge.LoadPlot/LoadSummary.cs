namespace Capgo.Edge.LoadPlot;

/// <summary>A latency percentile the chart draws: its label and how to read it from a run.</summary>
internal sealed record Percentile(string Label, Func<ScenarioRun, double?> Read)
{
    /// <summary>p50, p90, p99 and p99.9: from h2load's per-request log (gRPC) and wrk's histogram (HTTP).</summary>
    public static IReadOnlyList<Percentile> All { get; } =
    [
        new("p50", r => r.P50Ms), new("p90", r => r.P90Ms), new("p99", r => r.P99Ms), new("p99.9", r => r.P999Ms),
    ];
}

/// <summary>One scenario over its repetitions: median req/s with the spread, and the median of each percentile.</summary>
internal sealed record ScenarioSummary(
    string Name, string Transport, string Kind, int Reps, double RpsMedian, double RpsMin, double RpsMax,
    IReadOnlyList<double?> LatencyMs)
{
    public bool IsCheck => Kind == "check";
}

/// <summary>A check against one of its transport's echoes: the median over repetitions of check req/s ÷ echo req/s,
/// each repetition's pair measured back to back (as results.md's ratios are).</summary>
internal sealed record CheckOverEcho(string Transport, string Check, string Echo, double RpsRatio);

/// <summary>What the chart shows, computed from the runs alone, so it follows whatever scenarios a run had.</summary>
internal sealed record LoadSummary(string Title, IReadOnlyList<ScenarioSummary> Scenarios, IReadOnlyList<CheckOverEcho> Ratios)
{
    public static LoadSummary From(LoadResults results)
    {
        // Transports in the order the run met them; within one, its checks first, then its echoes, so each check
        // stands beside the baselines it is divided by.
        var scenarios = results.Runs
            .GroupBy(r => r.Scenario)
            .Select(g => Summarize(g.Key, g.ToList()))
            .GroupBy(s => s.Transport)
            .SelectMany(g => g.OrderBy(s => s.IsCheck ? 0 : 1))
            .ToList();

        var ratios = new List<CheckOverEcho>();
        foreach (var check in scenarios.Where(s => s.IsCheck))
        {
            foreach (var echo in scenarios.Where(s => s.Transport == check.Transport && s.Kind == "echo"))
            {
                var perRep = results.Runs.Where(r => r.Scenario == check.Name)
                    .Join(results.Runs.Where(r => r.Scenario == echo.Name && r.Rps > 0), c => c.Rep, e => e.Rep, (c, e) => c.Rps / e.Rps)
                    .ToList();
                if (perRep.Count > 0)
                {
                    ratios.Add(new CheckOverEcho(check.Transport, check.Name, echo.Name, Median(perRep)));
                }
            }
        }

        var title = $"Capgo Edge load test: {results.Mode}"
                    + (results.StartedUtc is null ? "" : $", {results.StartedUtc}")
                    + (results.GitCommit is null ? "" : $", commit {results.GitCommit}");
        return new LoadSummary(title, scenarios, ratios);
    }

    private static ScenarioSummary Summarize(string name, List<ScenarioRun> runs)
    {
        var rps = runs.Select(r => r.Rps).ToList();
        var latency = Percentile.All
            .Select(p => runs.Select(p.Read).OfType<double>().ToList() is { Count: > 0 } values ? Median(values) : (double?)null)
            .ToList();
        return new ScenarioSummary(name, runs[0].Transport, runs[0].Kind, runs.Count, Median(rps), rps.Min(), rps.Max(), latency);
    }

    /// <summary>The middle value, or the mean of the two middle ones (Python's statistics.median, as report.py uses).</summary>
    internal static double Median(IReadOnlyCollection<double> values)
    {
        var sorted = values.Order().ToArray();
        var middle = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }
}

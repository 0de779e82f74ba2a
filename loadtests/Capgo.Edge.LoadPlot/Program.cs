using System.CommandLine;
using System.Text.Json;
using Capgo.Edge.LoadPlot;

// load-plot: results.png beside a load run's results.md, from its results.json (loadtests/lib/run.py calls it).
var results = new Option<string>("--results") { Description = "the run's results.json", Required = true };
var output = new Option<string?>("--out") { Description = "the PNG to write (default: results.png beside results.json)" };
var root = new RootCommand("Charts of a load run: throughput per scenario (check beside its echo) and latency percentiles")
{
    results, output,
};
root.SetAction(parsed =>
{
    var input = parsed.GetRequiredValue(results);
    var png = parsed.GetValue(output) ?? Path.Combine(Path.GetDirectoryName(Path.GetFullPath(input))!, "results.png");
    try
    {
        var summary = LoadSummary.From(LoadResults.Read(input));
        ResultsChart.Save(summary, png);
        Console.WriteLine($"load-plot: {png} ({summary.Scenarios.Count} scenarios, {summary.Ratios.Count} check ÷ echo ratios)");
        return 0;
    }
    catch (Exception error) when (error is IOException or InvalidDataException or JsonException or UnauthorizedAccessException)
    {
        // Bad input: one line naming the file and what is wrong, exit 2 (as load-bodies does).
        Console.Error.WriteLine($"load-plot: {input}: {error.Message}");
        return 2;
    }
});

// Help names the tool as the harness does, not after the assembly.
root.HelpName = "load-plot";
return root.Parse(args).Invoke();

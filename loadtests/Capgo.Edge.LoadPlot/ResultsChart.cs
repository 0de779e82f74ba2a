using ScottPlot;
using ScottPlot.TickGenerators;

namespace Capgo.Edge.LoadPlot;

/// <summary>
/// results.png: on the left, each scenario's median req/s with its min–max over repetitions, a transport's check
/// beside its echoes and bracketed with check ÷ echo; on the right, each scenario's latency percentiles on a log scale.
/// One colour per scenario in both panels; echoes are drawn dashed in the latency panel.
/// </summary>
internal static class ResultsChart
{
    public const int Width = 1600;
    public const int Height = 720;

    private static readonly Color[] Palette = new ScottPlot.Palettes.Category10().Colors;

    public static void Save(LoadSummary summary, string path)
    {
        using var throughput = Throughput(summary);
        using var latency = Latency(summary);
        var chart = new Multiplot(throughput) { Layout = new ScottPlot.MultiplotLayouts.Columns() };
        chart.AddPlot(latency);
        chart.SavePng(path, Width, Height);
    }

    private static Color ColorOf(LoadSummary summary, ScenarioSummary scenario) =>
        Palette[summary.Scenarios.ToList().IndexOf(scenario) % Palette.Length];

    private static Plot Throughput(LoadSummary summary)
    {
        var plot = new Plot();
        ChartFonts.Apply(plot);
        var positions = Positions(summary);
        var bars = summary.Scenarios.Select((s, n) => new Bar
        {
            Position = positions[n],
            Value = s.RpsMedian,
            FillColor = ColorOf(summary, s).WithAlpha(s.IsCheck ? 1.0 : 0.55),
            LineColor = ColorOf(summary, s),
            LineWidth = 1,
        }).ToList();
        plot.Add.Bars(bars);

        var spread = plot.Add.ErrorBar(positions, summary.Scenarios.Select(s => s.RpsMedian).ToList(),
            summary.Scenarios.Select(_ => 0.0).ToList());
        spread.YErrorPositive = summary.Scenarios.Select(s => s.RpsMax - s.RpsMedian).ToList();
        spread.YErrorNegative = summary.Scenarios.Select(s => s.RpsMedian - s.RpsMin).ToList();
        spread.Color = Colors.Black;
        spread.CapSize = 8;
        spread.LineWidth = 1.5f;

        // Each check ÷ echo as a bracket over the pair, stacked above the tallest bar so none overlap.
        var top = summary.Scenarios.Max(s => s.RpsMax);
        var step = top * 0.09;
        var stacked = 0;
        foreach (var ratio in summary.Ratios)
        {
            var from = positions[IndexOf(summary, ratio.Check)];
            var to = positions[IndexOf(summary, ratio.Echo)];
            var height = top * 1.08 + step * stacked++;
            var bracket = plot.Add.Bracket(new CoordinateLine(to, height, from, height), $"check ÷ {ratio.Echo}: {ratio.RpsRatio:0.00}");
            bracket.LabelStyle.FontSize = 13;
            bracket.LineStyle.Color = Colors.DimGray;
        }

        plot.Axes.Bottom.TickGenerator = new NumericManual(positions.ToArray(), summary.Scenarios.Select(s => $"{s.Name}\n{s.RpsMedian:N0}/s").ToArray());
        plot.Axes.Bottom.TickLabelStyle.FontSize = 13;
        plot.Axes.SetLimitsY(0, top * 1.14 + step * Math.Max(stacked, 1));
        plot.Axes.SetLimitsX(positions[0] - 0.7, positions[^1] + 0.7);
        var reps = summary.Scenarios.Max(s => s.Reps);
        plot.Title(summary.Title + (reps > 1
            ? $"\nthroughput: median req/s of {reps} repetitions, whiskers from the slowest to the fastest"
            : "\nthroughput: req/s of 1 repetition"), 15);
        plot.YLabel("requests per second");
        ChartFonts.Apply(plot);
        return plot;
    }

    private static Plot Latency(LoadSummary summary)
    {
        var plot = new Plot();
        ChartFonts.Apply(plot);
        var labels = Percentile.All.Select(p => p.Label).ToArray();
        var low = double.MaxValue;
        var high = double.MinValue;
        foreach (var scenario in summary.Scenarios)
        {
            var points = scenario.LatencyMs
                .Select((ms, n) => (n, ms))
                .Where(p => p.ms is > 0)
                .Select(p => new Coordinates(p.n, Math.Log10(p.ms!.Value)))
                .ToList();
            if (points.Count == 0)
            {
                continue;
            }
            low = Math.Min(low, points.Min(p => p.Y));
            high = Math.Max(high, points.Max(p => p.Y));
            var line = plot.Add.Scatter(points, ColorOf(summary, scenario));
            line.LegendText = scenario.Name;
            line.LineWidth = 2;
            line.MarkerSize = 8;
            line.LinePattern = scenario.IsCheck ? LinePattern.Solid : LinePattern.Dashed;
        }

        plot.Axes.Bottom.TickGenerator = new NumericManual(Enumerable.Range(0, labels.Length).Select(n => (double)n).ToArray(), labels);
        plot.Axes.Bottom.TickLabelStyle.FontSize = 13;
        // Log scale: the points are log10(ms), the ticks say ms.
        plot.Axes.Left.TickGenerator = new NumericAutomatic
        {
            MinorTickGenerator = new LogMinorTickGenerator(),
            IntegerTicksOnly = true,
            LabelFormatter = y => $"{Math.Pow(10, y):0.###}",
        };
        plot.Grid.MajorLineColor = Colors.Black.WithAlpha(0.15);
        plot.Grid.MinorLineColor = Colors.Black.WithAlpha(0.05);
        plot.Grid.MinorLineWidth = 1;
        if (low <= high)
        {
            // Whole decades, a little past them: the tick generator leaves out a tick that sits on the edge.
            plot.Axes.SetLimitsY(Math.Floor(low) - 0.03, Math.Ceiling(high + 0.05) + 0.03);
        }
        plot.Axes.SetLimitsX(-0.3, labels.Length - 0.7);
        plot.Title("latency percentiles, ms (log scale; median over repetitions)", 15);
        plot.YLabel("milliseconds");
        plot.ShowLegend(Alignment.UpperLeft);
        ChartFonts.Apply(plot);
        return plot;
    }

    /// <summary>Bar positions: one per scenario, a gap between transports.</summary>
    private static List<double> Positions(LoadSummary summary)
    {
        var positions = new List<double>();
        var x = 0.0;
        for (var n = 0; n < summary.Scenarios.Count; n++)
        {
            if (n > 0 && summary.Scenarios[n].Transport != summary.Scenarios[n - 1].Transport)
            {
                x += 0.6;
            }
            positions.Add(x);
            x += 1;
        }
        return positions;
    }

    private static int IndexOf(LoadSummary summary, string scenario) =>
        summary.Scenarios.Select((s, n) => (s, n)).First(p => p.s.Name == scenario).n;
}

using System.Buffers.Binary;
using System.Diagnostics;
using ScottPlot;
using SkiaSharp;

namespace Capgo.Edge.LoadPlot.Tests;

/// <summary>The tool as run.py runs it (<c>dotnet Capgo.Edge.LoadPlot.dll --results … --out …</c>): a PNG of the chart's
/// size that decodes, or one line on stderr and exit 2 for a results.json it cannot draw.</summary>
public sealed class LoadPlotToolTests : IDisposable
{
    private static readonly byte[] PngSignature = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    private readonly string _folder = Directory.CreateTempSubdirectory("load-plot-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static (int ExitCode, string Output, string Error) RunTool(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Capgo.Edge.LoadPlot.dll"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(TimeSpan.FromMinutes(2)), "load-plot did not exit");
        return (process.ExitCode, output.Result, error.Result);
    }

    private string WriteResults(string json)
    {
        var path = Path.Combine(_folder, "results.json");
        File.WriteAllText(path, json);
        return path;
    }

    [Fact]
    public void TheChartIsWrittenBesideResultsJsonAsAPngOfTheChartsSizeThatDecodes()
    {
        var results = WriteResults(ResultsFixture.Build().ToJsonString());

        var (exitCode, output, error) = RunTool("--results", results);

        Assert.True(exitCode == 0, error);
        Assert.Contains("5 scenarios, 3 check ÷ echo ratios", output, StringComparison.Ordinal);
        var bytes = File.ReadAllBytes(Path.Combine(_folder, "results.png"));
        Assert.Equal(PngSignature, bytes[..8]);
        Assert.Equal("IHDR", System.Text.Encoding.ASCII.GetString(bytes, 12, 4));
        Assert.Equal(ResultsChart.Width, BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(16, 4)));
        Assert.Equal(ResultsChart.Height, BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(20, 4)));
        using var decoded = SKBitmap.Decode(bytes);
        Assert.Equal((ResultsChart.Width, ResultsChart.Height), (decoded.Width, decoded.Height));
        // Something is drawn: the bars' and lines' colours, not only white.
        Assert.True(decoded.Pixels.Select(p => (uint)p).Distinct().Count() > 50);
    }

    [Fact]
    public void AResultsFileThatIsNotJsonExitsTwoWithOneLineNamingItAndNoImage()
    {
        var results = WriteResults("{\"mode\": \"smoke\", \"runs\": [");

        var (exitCode, _, error) = RunTool("--results", results, "--out", Path.Combine(_folder, "chart.png"));

        Assert.Equal(2, exitCode);
        Assert.StartsWith($"load-plot: {results}: ", error, StringComparison.Ordinal);
        Assert.Single(error.Trim().Split('\n'));
        Assert.False(File.Exists(Path.Combine(_folder, "chart.png")));
    }

    [Fact]
    public void AResultsFileWithoutRunsExitsTwoSayingSo()
    {
        var results = WriteResults("""{"mode": "smoke", "runs": []}""");

        var (exitCode, _, error) = RunTool("--results", results);

        Assert.Equal(2, exitCode);
        Assert.Contains("no runs to draw", error, StringComparison.Ordinal);
    }

    [Fact]
    public void AMissingResultsFileExitsTwo()
    {
        var (exitCode, _, error) = RunTool("--results", Path.Combine(_folder, "absent.json"));

        Assert.Equal(2, exitCode);
        Assert.Contains("absent.json", error, StringComparison.Ordinal);
    }

    [Fact]
    public void LabelsAreDrawnInTheShippedFontSoTextNeedsNoSystemFonts()
    {
        using var plot = new Plot();

        ChartFonts.Apply(plot);

        Assert.Equal(ChartFonts.Name, plot.Axes.Title.Label.FontName);
        using var typeface = Fonts.GetTypeface(ChartFonts.Name, bold: false, italic: false);
        using var font = new SKFont(typeface);
        // Every character the chart writes has a glyph; a Cyrillic letter has none, so this is the shipped Latin
        // subset and not a system DejaVu Sans found by name.
        Assert.DoesNotContain((ushort)0, font.GetGlyphs("grpc-check ÷ http-echo-raw: 0.93 requests per second µs – p99.9"));
        Assert.Contains((ushort)0, font.GetGlyphs("Ж"));
    }
}

using System.Globalization;
using System.Text;
using System.Text.Json.Serialization;

namespace Capgo.Edge.EventLoad;

/// <summary>A run's result as the console shows it: the figures, then every total checked.</summary>
internal static class Report
{
    public static string Markdown(BenchResult r)
    {
        var text = new StringBuilder();
        var c = CultureInfo.InvariantCulture;
        text.AppendLine();
        text.AppendLine("| figure | value |");
        text.AppendLine("|---|---:|");
        text.AppendLine(c, $"| events / devices / shards | {r.Events:N0} / {r.Devices:N0} / {r.Shards} |");
        text.AppendLine(c, $"| Analytics:BatchSize | {r.BatchSize} |");
        text.AppendLine(c, $"| **consumer rate** | **{r.EventsPerSecond:N0} events/s** ({r.ConsumeSeconds:F2} s) |");
        text.AppendLine(c, $"| from the service's start | {r.WallSeconds:F2} s |");
        text.AppendLine(c, $"| service CPU per event | {r.ServiceCpuMicrosPerEvent:F1} µs |");
        text.AppendLine(c, $"| Redis CPU per event | {r.RedisCpuMicrosPerEvent:F1} µs |");
        text.AppendLine(c, $"| stream filled in | {r.FillSeconds:F1} s |");
        text.AppendLine(c, $"| Redis used_memory before / after | {r.UsedMemoryBefore / 1048576.0:F0} / {r.UsedMemoryAfter / 1048576.0:F0} MiB |");
        text.AppendLine(c, $"| capgo_controlplane_consumer_lag while running / after | {r.LagMetricWhileRunning?.ToString(c) ?? "–"} / {r.LagMetricAfter?.ToString(c) ?? "–"} |");
        text.AppendLine();
        text.AppendLine("| total | expected | consumer wrote | ok |");
        text.AppendLine("|---|---:|---:|:---:|");
        foreach (var check in r.Checks)
        {
            text.AppendLine(c, $"| {check.Name} | {check.Expected} | {check.Actual} | {(check.Ok ? "✓" : "**✗**")} |");
        }

        text.AppendLine();
        text.Append(r.Verified ? "totals: all match" : "totals: MISMATCH — the rate above is not a result");
        return text.ToString();
    }
}

/// <summary>--json output.</summary>
[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(BenchResult))]
internal sealed partial class EventLoadJson : JsonSerializerContext;

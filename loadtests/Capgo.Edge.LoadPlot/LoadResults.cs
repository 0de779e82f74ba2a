using System.Text.Json;
using System.Text.Json.Serialization;

namespace Capgo.Edge.LoadPlot;

/// <summary>
/// The part of a load run's <c>results.json</c> (written by <c>loadtests/lib/report.py</c>) that the chart draws:
/// every scenario's repetitions with their throughput and latency percentiles.
/// </summary>
internal sealed record LoadResults(
    [property: JsonPropertyName("mode"), JsonRequired] string Mode,
    [property: JsonPropertyName("started_utc")] string? StartedUtc,
    [property: JsonPropertyName("git_commit")] string? GitCommit,
    [property: JsonPropertyName("projection_source")] string? ProjectionSource,
    [property: JsonPropertyName("seconds_per_scenario")] double SecondsPerScenario,
    [property: JsonPropertyName("runs"), JsonRequired] IReadOnlyList<ScenarioRun> Runs)
{
    /// <summary>Reads and checks <paramref name="path"/>; a file the chart cannot be drawn from throws
    /// <see cref="InvalidDataException"/> (or <see cref="JsonException"/>) naming what is wrong.</summary>
    public static LoadResults Read(string path)
    {
        using var stream = File.OpenRead(path);
        var results = JsonSerializer.Deserialize(stream, LoadResultsJson.Default.LoadResults)
                      ?? throw new InvalidDataException($"{path}: null instead of a results object");
        if (results.Runs is null || results.Runs.Count == 0)
        {
            throw new InvalidDataException($"{path}: no runs to draw");
        }
        foreach (var run in results.Runs)
        {
            if (string.IsNullOrEmpty(run.Scenario) || string.IsNullOrEmpty(run.Transport) || string.IsNullOrEmpty(run.Kind))
            {
                throw new InvalidDataException($"{path}: a run without scenario, transport or kind (repetition {run.Rep})");
            }
            if (!double.IsFinite(run.Rps) || run.Rps < 0)
            {
                throw new InvalidDataException($"{path}: {run.Scenario} r{run.Rep}: req/s {run.Rps} is not a rate");
            }
        }
        return results;
    }
}

/// <summary>One scenario of one repetition. A percentile is null where the load generator measured none.</summary>
internal sealed record ScenarioRun(
    [property: JsonPropertyName("scenario"), JsonRequired] string Scenario,
    [property: JsonPropertyName("transport"), JsonRequired] string Transport,
    [property: JsonPropertyName("kind"), JsonRequired] string Kind,
    [property: JsonPropertyName("rep"), JsonRequired] int Rep,
    [property: JsonPropertyName("rps"), JsonRequired] double Rps,
    [property: JsonPropertyName("p50_ms")] double? P50Ms,
    [property: JsonPropertyName("p90_ms")] double? P90Ms,
    [property: JsonPropertyName("p99_ms")] double? P99Ms,
    [property: JsonPropertyName("p99_9_ms")] double? P999Ms);

[JsonSourceGenerationOptions(NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals)]
[JsonSerializable(typeof(LoadResults))]
internal sealed partial class LoadResultsJson : JsonSerializerContext;

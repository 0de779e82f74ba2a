using System.Text.Json.Nodes;

namespace Capgo.Edge.LoadPlot.Tests;

/// <summary>
/// A results.json as loadtests/lib/report.py writes it, cut to what the chart reads plus a few fields it ignores:
/// three repetitions of gRPC check and echo and of HTTP check, echo and the raw Kestrel echo, in the order
/// run.py runs them (reversed on the even repetition), one HTTP echo without p99.9 (an older wrk output).
/// </summary>
internal static class ResultsFixture
{
    // scenario, transport, kind, req/s per repetition, p50/p90/p99/p99.9 ms per repetition
    private static readonly (string Name, string Transport, string Kind, double[] Rps, double?[][] Latency)[] Scenarios =
    [
        ("grpc-echo", "grpc", "echo", [40_000, 44_000, 42_000], [[1.0, 2.0, 4.0, 8.0], [1.2, 2.2, 4.4, 9.0], [1.1, 2.1, 4.2, 8.5]]),
        ("grpc-check", "grpc", "check", [30_000, 33_000, 34_000], [[1.5, 3.0, 6.0, 12.0], [1.4, 2.8, 5.6, 11.0], [1.6, 3.2, 6.4, 13.0]]),
        ("http-echo", "http", "echo", [20_000, 25_000, 24_000], [[2.0, 4.0, 8.0, null], [2.4, 4.8, 9.6, 20.0], [2.2, 4.4, 8.8, 18.0]]),
        ("http-echo-raw", "http", "echo", [50_000, 40_000, 60_000], [[0.5, 1.0, 2.0, 4.0], [0.6, 1.2, 2.4, 4.8], [0.4, 0.8, 1.6, 3.2]]),
        ("http-check", "http", "check", [10_000, 12_000, 12_000], [[3.0, 6.0, 12.0, 24.0], [3.3, 6.6, 13.2, 26.4], [2.7, 5.4, 10.8, 21.6]]),
    ];

    public static JsonObject Build()
    {
        var runs = new JsonArray();
        for (var rep = 1; rep <= 3; rep++)
        {
            var order = rep % 2 == 1 ? Scenarios : Scenarios.Reverse().ToArray();
            foreach (var s in order)
            {
                var latency = s.Latency[rep - 1];
                var run = new JsonObject
                {
                    ["requests"] = (int)(s.Rps[rep - 1] * 4), ["rps"] = s.Rps[rep - 1], ["errors"] = 0,
                    ["p50_ms"] = latency[0], ["p90_ms"] = latency[1], ["p99_ms"] = latency[2],
                    ["scenario"] = s.Name, ["transport"] = s.Transport, ["kind"] = s.Kind, ["rep"] = rep,
                    ["server_cpu_us_per_req"] = 25.0, ["machine_loadavg_1m"] = new JsonArray(1.0, 1.5),
                };
                if (latency[3] is { } p999)
                {
                    run["p99_9_ms"] = p999;
                }
                runs.Add(run);
            }
        }
        return new JsonObject
        {
            ["mode"] = "short", ["projection_source"] = "redis", ["seconds_per_scenario"] = 4, ["repetitions"] = 3,
            ["started_utc"] = "2026-12-02T03:00:00Z", ["git_commit"] = "abc1234",
            ["machine"] = new JsonObject { ["cpus"] = 2 }, ["runs"] = runs, ["aggregate"] = new JsonObject(), ["ratios"] = new JsonObject(),
        };
    }
}

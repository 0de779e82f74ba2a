using System.ComponentModel.DataAnnotations;

namespace Capgo.Edge.Server.Observability;

/// <summary>The edge's instruments (section <c>Metrics</c>).</summary>
internal sealed class MetricsOptions
{
    public const string Section = "Metrics";

    /// <summary>
    /// One check in this many, chosen at random, is recorded in <c>capgo_edge_check_duration</c>;
    /// 1 records every check. The histogram's shape (its quantiles) is unchanged by sampling; its
    /// count and sum are a 1-in-N sample. <c>capgo_edge_checks</c> counts every check exactly.
    /// </summary>
    [Range(1, 1_000_000)]
    public int CheckDurationSampleEvery { get; set; } = 8;
}

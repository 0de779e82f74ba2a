using System.Globalization;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Capgo.Edge.Server.Hosting;

/// <summary>The public probes' body: the status word only.</summary>
internal sealed record StatusReply([property: JsonPropertyName("status")] string Status)
{
    public static StatusReply Live { get; } = new("live");

    /// <summary>The word for a health status, on the probes and in the details.</summary>
    public static string Word(HealthStatus status) => status switch
    {
        HealthStatus.Healthy => "ready",
        HealthStatus.Degraded => "degraded",
        _ => "not_ready",
    };
}

/// <summary>The admin endpoint's <c>/healthz</c>: the overall word and every check with its reason and data.</summary>
internal sealed record HealthDetailsReply(
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("checks")] Dictionary<string, HealthCheckDetails> Checks)
{
    public static HealthDetailsReply From(HealthReport report)
    {
        var checks = new Dictionary<string, HealthCheckDetails>(report.Entries.Count, StringComparer.Ordinal);
        foreach (var (name, entry) in report.Entries)
        {
            var data = new Dictionary<string, object>(entry.Data.Count, StringComparer.Ordinal);
            foreach (var (key, value) in entry.Data)
            {
                // Numbers, words and flags as they are; anything else as its text, so a new check's data never fails the reply.
                data[key] = value is int or long or double or bool or string ? value : Convert.ToString(value, CultureInfo.InvariantCulture) ?? "";
            }

            checks[name] = new HealthCheckDetails(StatusReply.Word(entry.Status), entry.Description, data);
        }

        return new HealthDetailsReply(StatusReply.Word(report.Status), checks);
    }
}

/// <summary>One check: its word, its reason code (null when healthy) and what it measured.</summary>
internal sealed record HealthCheckDetails(
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("reason")] string? Reason,
    [property: JsonPropertyName("data")] Dictionary<string, object> Data);

[JsonSerializable(typeof(StatusReply))]
[JsonSerializable(typeof(HealthDetailsReply))]
[JsonSerializable(typeof(int))]
[JsonSerializable(typeof(long))]
[JsonSerializable(typeof(double))]
[JsonSerializable(typeof(bool))]
[JsonSerializable(typeof(string))]
internal sealed partial class HealthJson : JsonSerializerContext
{
    /// <summary>Relaxed escaping, as ASP.NET Core writes.</summary>
    public static HealthJson Wire { get; } = new(new System.Text.Json.JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
}

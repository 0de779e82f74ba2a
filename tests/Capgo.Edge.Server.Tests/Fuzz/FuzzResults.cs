using System.Collections.Concurrent;
using System.Globalization;
using System.Text;

namespace Capgo.Edge.Server.Tests.Fuzz;

/// <summary>
/// What a campaign saw: a histogram of answers per target (an HTTP route, or a gRPC method and payload
/// kind) and the first contract violations, each with the body that caused it.
/// </summary>
internal sealed class FuzzResults
{
    private const int MaxFailures = 200;

    private readonly ConcurrentDictionary<(string Target, string Answer), int> _histogram = new();
    private int _sent;

    public ConcurrentQueue<string> Failures { get; } = new();

    public int Sent => Volatile.Read(ref _sent);

    /// <summary>Counts one answer: an HTTP status, or a gRPC status with its <c>capgo-error</c> trailer.</summary>
    public void Count(string target, string answer)
    {
        Interlocked.Increment(ref _sent);
        _histogram.AddOrUpdate((target, answer), 1, static (_, n) => n + 1);
    }

    public void Fail(string target, string what, byte[] body, string detail)
    {
        if (Failures.Count < MaxFailures)
        {
            Failures.Enqueue($"{target} [{what}] -> {Truncate(detail, 500)}\n  body(base64,{body.Length}B): {Truncate(Convert.ToBase64String(body), 600)}");
        }
    }

    /// <summary>Bodies sent to targets whose name starts with <paramref name="prefix"/>.</summary>
    public int SentTo(string prefix) => _histogram.Where(p => p.Key.Target.StartsWith(prefix, StringComparison.Ordinal)).Sum(static p => p.Value);

    /// <summary>One line per target: bodies, answers that mean a server failure, and every answer's count.</summary>
    public void AppendHistogram(StringBuilder sb, Func<string, bool> isServerFailure)
    {
        foreach (var target in _histogram.Keys.Select(static k => k.Target).Distinct().Order(StringComparer.Ordinal))
        {
            var row = _histogram.Where(p => p.Key.Target == target).OrderBy(static p => p.Key.Answer, StringComparer.Ordinal).ToArray();
            var failures = row.Where(p => isServerFailure(p.Key.Answer)).Sum(static p => p.Value);
            var answers = string.Join(", ", row.Select(static p => $"{p.Key.Answer}: {p.Value}"));
            sb.AppendLine(CultureInfo.InvariantCulture, $"  {target}: {row.Sum(static p => p.Value)} bodies, server failures {failures}; {answers}");
        }
    }

    public static string Truncate(string text, int max) => text.Length <= max ? text : text[..max] + "…";
}

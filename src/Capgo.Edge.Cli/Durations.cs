using System.Globalization;

namespace Capgo.Edge.Cli;

/// <summary>The durations <c>--timeout</c> takes: seconds (<c>10</c>, <c>10s</c>) or milliseconds (<c>500ms</c>).</summary>
internal static class Durations
{
    public static TimeSpan Parse(string text)
    {
        if (text.EndsWith("ms", StringComparison.Ordinal) && double.TryParse(text[..^2], NumberStyles.Float, CultureInfo.InvariantCulture, out var ms) && ms > 0)
        {
            return TimeSpan.FromMilliseconds(ms);
        }

        var trimmed = text.EndsWith('s') ? text[..^1] : text;
        return double.TryParse(trimmed, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) && seconds > 0
            ? TimeSpan.FromSeconds(seconds)
            : throw new FormatException($"'{text}' is not a duration (e.g. 500ms, 10s)");
    }
}

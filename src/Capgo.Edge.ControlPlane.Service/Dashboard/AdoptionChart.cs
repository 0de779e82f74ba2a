using System.Globalization;
using System.Text;
using Capgo.Edge.ControlPlane.Analytics;

namespace Capgo.Edge.ControlPlane.Service.Dashboard;

/// <summary>
/// Adoption over time: each day's active devices per bundle as stacked bars in inline SVG rendered on
/// the server (for the reasons <see cref="FailureChart"/> gives), with the same numbers in a table
/// under it. Only bundles that had a device in the window get a colour, a legend entry and a column.
/// </summary>
internal static class AdoptionChart
{
    private const int Width = 760;
    private const int Height = 220;
    private const int Left = 44;
    private const int Right = 12;
    private const int Top = 12;
    private const int Bottom = 28;
    private const int PlotWidth = Width - Left - Right;
    private const int PlotHeight = Height - Top - Bottom;

    /// <summary>The bundles' colours, in order; dashboard.css repeats them as <c>.sw-a0</c>…<c>.sw-a7</c> for the legend.</summary>
    private static readonly string[] Palette = ["#2457c5", "#4caf7a", "#e0a030", "#8a5cc2", "#d64545", "#2aa3b5", "#9a7b4f", "#5b6475"];

    /// <summary>The chart, its legend and the table; a sentence when no device was counted in the window.</summary>
    public static string Render(IReadOnlyList<DayActiveDevices> days)
    {
        var bundles = Bundles(days);
        var html = new StringBuilder("<h2>Adoption, last ").Append(days.Count).Append(" days</h2>");
        if (bundles.Count == 0)
        {
            return html.Append("<p class=\"muted\" id=\"adoption-none\">No active device counted in the last ").Append(days.Count).Append(" days.</p>").ToString();
        }

        html.Append("<div class=\"chart\">").Append(Svg(days, bundles)).Append("<p class=\"legend\">");
        for (var i = 0; i < bundles.Count; i++)
        {
            // A class, not a style attribute: the dashboard's Content-Security-Policy refuses inline styles.
            html.Append("<i class=\"sw-a").Append(i % Palette.Length).Append("\"></i>").Append(Html.E(bundles[i]));
        }

        html.Append("</p></div><table id=\"adoption\"><thead><tr><th>Day (UTC)</th>");
        foreach (var b in bundles)
        {
            html.Append("<th>").Append(Html.E(b)).Append("</th>");
        }

        html.Append("<th>All</th></tr></thead><tbody>");
        foreach (var day in days.Reverse())
        {
            html.Append("<tr><td>").Append(DayLabel(day)).Append("</td>");
            foreach (var b in bundles)
            {
                html.Append("<td data-bundle=\"").Append(Html.E(b)).Append("\">").Append(Html.E(day.ByBundle.GetValueOrDefault(b))).Append("</td>");
            }

            html.Append("<td>").Append(Html.E(day.ByBundle.Values.Sum())).Append("</td></tr>");
        }

        return html.Append("</tbody></table>").ToString();
    }

    private static string Svg(IReadOnlyList<DayActiveDevices> days, List<string> bundles)
    {
        var max = Math.Max(1, days.Max(static d => d.ByBundle.Values.Sum()));
        var slot = (double)PlotWidth / days.Count;
        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"<svg id=\"adoption-chart\" viewBox=\"0 0 {Width} {Height}\" role=\"img\" aria-labelledby=\"adoption-title\" xmlns=\"http://www.w3.org/2000/svg\">")
            .Append("<title id=\"adoption-title\">Active devices per bundle per day</title>")
            .Append(CultureInfo.InvariantCulture, $"<rect x=\"{Left}\" y=\"{Top}\" width=\"{PlotWidth}\" height=\"{PlotHeight}\" fill=\"#fbfcfe\" stroke=\"#d9dee7\"/>");
        Text(svg, Left - 6, Top + 4, "end", max.ToString(CultureInfo.InvariantCulture));
        Text(svg, Left - 6, Top + PlotHeight, "end", "0");
        Text(svg, Left, Height - 8, "start", DayLabel(days[0]));
        Text(svg, Width - Right, Height - 8, "end", DayLabel(days[^1]));
        for (var i = 0; i < days.Count; i++)
        {
            var x = Left + i * slot + slot * 0.15;
            var y = (double)(Top + PlotHeight);
            for (var b = 0; b < bundles.Count; b++)
            {
                var count = days[i].ByBundle.GetValueOrDefault(bundles[b]);
                var h = PlotHeight * (double)count / max;
                if (h > 0)
                {
                    y -= h;
                    svg.Append(CultureInfo.InvariantCulture, $"<rect x=\"{x:0.##}\" y=\"{y:0.##}\" width=\"{slot * 0.7:0.##}\" height=\"{h:0.##}\" fill=\"{Colour(b)}\"><title>{Html.E($"{DayLabel(days[i])}: {count} on {bundles[b]}")}</title></rect>");
                }
            }
        }

        return svg.Append("</svg>").ToString();
    }

    private static List<string> Bundles(IReadOnlyList<DayActiveDevices> days) =>
        [.. days.SelectMany(static d => d.ByBundle).Where(static b => b.Value > 0).Select(static b => b.Key).Distinct().Order(StringComparer.Ordinal)];

    private static string Colour(int i) => Palette[i % Palette.Length];

    private static string DayLabel(DayActiveDevices day) => day.Day.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private static void Text(StringBuilder svg, double x, double y, string anchor, string text) =>
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{x:0.#}\" y=\"{y:0.#}\" text-anchor=\"{anchor}\" font-size=\"11\" fill=\"#5b6475\">{Html.E(text)}</text>");
}

using System.Globalization;
using System.Text;
using Capgo.Edge.ControlPlane.Releases;

namespace Capgo.Edge.ControlPlane.Service.Dashboard;

/// <summary>
/// The rollout chart as inline SVG rendered on the server: installs and failures per minute (stacked
/// bars, left axis) and the running failure rate against the guard's threshold (line and dashed line,
/// right axis, 0–100 %). Server-rendered SVG rather than a chart library: there is nothing to vendor or
/// keep up to date, no script to load before the chart shows, it renders without JavaScript, and the
/// live refresh swaps it like any other markup. The table under it carries the same numbers.
/// </summary>
internal static class FailureChart
{
    private const int Width = 760;
    private const int Height = 240;
    private const int Left = 44;
    private const int Right = 56;
    private const int Top = 12;
    private const int Bottom = 28;
    private const int PlotWidth = Width - Left - Right;
    private const int PlotHeight = Height - Top - Bottom;

    public static string Render(BundleFigures figures, RolloutGuard? guard)
    {
        var minutes = figures.Minutes;
        var max = Math.Max(1, minutes.Max(static m => m.Installs + m.Failures));
        var slot = (double)PlotWidth / minutes.Count;
        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"<svg id=\"chart\" viewBox=\"0 0 {Width} {Height}\" role=\"img\" aria-labelledby=\"chart-title\" xmlns=\"http://www.w3.org/2000/svg\">")
            .Append("<title id=\"chart-title\">").Append(Html.E($"Installs and failures of {figures.Bundle} per minute, and the failure rate")).Append("</title>")
            .Append(CultureInfo.InvariantCulture, $"<rect x=\"{Left}\" y=\"{Top}\" width=\"{PlotWidth}\" height=\"{PlotHeight}\" fill=\"#fbfcfe\" stroke=\"#d9dee7\"/>");

        Text(svg, Left - 6, Top + 4, "end", max.ToString(CultureInfo.InvariantCulture));
        Text(svg, Left - 6, Top + PlotHeight, "end", "0");
        foreach (var pct in new[] { 0, 50, 100 })
        {
            Text(svg, Width - Right + 6, Y(pct / 100.0) + 4, "start", pct.ToString(CultureInfo.InvariantCulture) + " %");
        }

        Text(svg, Left, Height - 8, "start", minutes[0].Start.UtcDateTime.ToString("HH:mm", CultureInfo.InvariantCulture));
        Text(svg, Width - Right, Height - 8, "end", minutes[^1].Start.UtcDateTime.ToString("HH:mm", CultureInfo.InvariantCulture) + " UTC");

        var points = new List<string>();
        long installs = 0, failures = 0;
        for (var i = 0; i < minutes.Count; i++)
        {
            var m = minutes[i];
            var x = Left + i * slot + slot * 0.15;
            var w = slot * 0.7;
            var hInstalls = PlotHeight * (double)m.Installs / max;
            var hFailures = PlotHeight * (double)m.Failures / max;
            Bar(svg, x, Top + PlotHeight - hInstalls, w, hInstalls, "#4caf7a", $"{m.Installs} installs");
            Bar(svg, x, Top + PlotHeight - hInstalls - hFailures, w, hFailures, "#d64545", $"{m.Failures} failures");
            installs += m.Installs;
            failures += m.Failures;
            if (installs + failures > 0)
            {
                points.Add(string.Create(CultureInfo.InvariantCulture, $"{Left + (i + 0.5) * slot:0.#},{Y((double)failures / (installs + failures)):0.#}"));
            }
        }

        if (guard is not null)
        {
            var y = Y(guard.MaxFailureRateBps / 10_000.0);
            svg.Append(CultureInfo.InvariantCulture, $"<line id=\"guard-line\" x1=\"{Left}\" x2=\"{Left + PlotWidth}\" y1=\"{y:0.#}\" y2=\"{y:0.#}\" stroke=\"#b0302f\" stroke-width=\"1.5\" stroke-dasharray=\"6 4\"/>");
            Text(svg, Left + PlotWidth - 4, y - 4, "end", "guard " + Html.Bps(guard.MaxFailureRateBps));
        }

        if (points.Count > 0)
        {
            svg.Append("<polyline id=\"rate-line\" fill=\"none\" stroke=\"#2457c5\" stroke-width=\"2\" points=\"").Append(string.Join(' ', points)).Append("\"/>");
            var lastPoint = points[^1].Split(',');
            svg.Append(CultureInfo.InvariantCulture, $"<circle cx=\"{lastPoint[0]}\" cy=\"{lastPoint[1]}\" r=\"3.5\" fill=\"#2457c5\"/>");
        }

        return svg.Append("</svg>").ToString();
    }

    public static string Legend(RolloutGuard? guard) =>
        "<p class=\"legend\"><i class=\"sw-install\"></i>installs<i class=\"sw-fail\"></i>failures<i class=\"sw-rate\"></i>failure rate (running, right axis)"
        + (guard is null ? "" : "<i class=\"sw-guard\"></i>guard threshold") + "</p>";

    private static double Y(double rate) => Top + PlotHeight * (1 - Math.Clamp(rate, 0, 1));

    private static void Bar(StringBuilder svg, double x, double y, double w, double h, string fill, string title)
    {
        if (h > 0)
        {
            svg.Append(CultureInfo.InvariantCulture, $"<rect x=\"{x:0.##}\" y=\"{y:0.##}\" width=\"{w:0.##}\" height=\"{h:0.##}\" fill=\"{fill}\"><title>{Html.E(title)}</title></rect>");
        }
    }

    private static void Text(StringBuilder svg, double x, double y, string anchor, string text) =>
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{x:0.#}\" y=\"{y:0.#}\" text-anchor=\"{anchor}\" font-size=\"11\" fill=\"#5b6475\">{Html.E(text)}</text>");
}

using System.Security.Claims;
using System.Text;
using Microsoft.AspNetCore.Antiforgery;

namespace Capgo.Edge.ControlPlane.Service.Dashboard;

/// <summary>One app: its channels with their bundle and rollout, its last changes, and the edges serving it.</summary>
internal static class AppPage
{
    public static async Task<IResult> ShowAsync(HttpContext http, string app, ClaimsPrincipal user, DashboardData data, IAntiforgery antiforgery)
    {
        var actor = SignInPage.Session(user).Actor;
        var af = Html.Antiforgery(antiforgery, http);
        if (DashboardSetup.Refuse(user, app, af) is { } refused)
        {
            return refused;
        }

        if (await data.AppAsync(app).ConfigureAwait(false) is not { } view)
        {
            return Html.Page("Not published", actor, Html.Notice("error", $"App {app} is not published."), StatusCodes.Status404NotFound, af);
        }

        var path = "/dashboard/apps/" + Html.Segment(app);
        var body = new StringBuilder();
        body.Append("<p><a href=\"/dashboard\">Apps</a> ›</p><h1>").Append(Html.E(app)).Append(" <span class=\"badge\">generation ").Append(Html.E(view.Generation)).Append("</span></h1>");

        body.Append("<h2>Channels</h2><table id=\"channels\"><thead><tr><th>Channel</th><th>Bundle</th><th>Rollout</th><th>Share</th><th>State</th><th>Guard</th></tr></thead><tbody>");
        foreach (var c in view.Channels)
        {
            var r = c.Rollout;
            body.Append("<tr><td><a href=\"").Append(path).Append("/channels/").Append(Html.Segment(c.Name)).Append("\">").Append(Html.E(c.Name)).Append("</a></td><td>")
                .Append(Html.E(c.Bundle ?? "builtin")).Append("</td><td>").Append(Html.E(r?.Bundle ?? "–")).Append("</td><td>")
                .Append(r is null ? "–" : Html.Bps(r.PercentageBps)).Append("</td><td>")
                .Append(r is null ? "–" : $"<span class=\"badge {r.State}\">{r.State}</span>").Append("</td><td>")
                .Append(Html.E(r?.Guard is { } g ? $"fail rate > {Html.Bps(g.MaxFailureRateBps)} over ≥ {g.MinDevices} devices" : "–")).Append("</td></tr>");
        }

        body.Append("</tbody></table>");
        body.Append(AdoptionChart.Render(view.Adoption));
        body.Append("<h2>Find a device</h2>").Append(DevicePage.SearchForm(app));
        body.Append(HistoryTable(view.History));
        body.Append(EdgesTable(view.Edges, view.Generation));
        return Html.Page(app, actor, body.ToString(), antiforgery: af);
    }

    public static string HistoryTable(IReadOnlyList<HistoryEntry> history)
    {
        var body = new StringBuilder("<h2>Last changes</h2><table id=\"history\"><thead><tr><th>When</th><th>Channel</th><th>Who</th><th>What</th><th>Bundle</th><th>Generation</th><th>Note</th></tr></thead><tbody>");
        foreach (var h in history)
        {
            body.Append("<tr><td>").Append(Html.Time(h.Time)).Append("</td><td>").Append(Html.E(h.Channel)).Append("</td><td>").Append(Html.E(h.Actor))
                .Append("</td><td>").Append(Html.E(h.Operation)).Append("</td><td>").Append(Html.E($"{h.BundleBefore ?? "builtin"} → {h.BundleAfter ?? "builtin"}"))
                .Append("</td><td>").Append(Html.E(h.Generation)).Append("</td><td>").Append(Html.E(h.Note)).Append("</td></tr>");
        }

        if (history.Count == 0)
        {
            body.Append("<tr><td colspan=\"7\" class=\"muted\">No changes recorded yet.</td></tr>");
        }

        return body.Append("</tbody></table>").ToString();
    }

    public static string EdgesTable(IReadOnlyList<EdgeServing> edges, long generation)
    {
        var body = new StringBuilder("<h2>Edges serving it</h2><table id=\"edges\"><thead><tr><th>Edge</th><th>Generation served</th><th>Last heartbeat</th></tr></thead><tbody>");
        foreach (var e in edges)
        {
            var state = e.Generation == generation ? "current" : e.Generation == 0 ? "not loaded" : "behind";
            body.Append("<tr><td>").Append(Html.E(e.Edge)).Append("</td><td>").Append(Html.E(e.Generation)).Append(" <span class=\"badge\">").Append(state)
                .Append("</span></td><td>").Append(Html.Time(e.LastHeartbeat)).Append("</td></tr>");
        }

        if (edges.Count == 0)
        {
            body.Append("<tr><td colspan=\"3\" class=\"muted\">No live edge.</td></tr>");
        }

        return body.Append("</tbody></table>").ToString();
    }
}

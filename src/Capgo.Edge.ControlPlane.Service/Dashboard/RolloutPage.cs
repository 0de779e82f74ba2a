using System.Globalization;
using System.Security.Claims;
using System.Text;
using Microsoft.AspNetCore.Antiforgery;

namespace Capgo.Edge.ControlPlane.Service.Dashboard;

/// <summary>
/// One channel and its rollout: state, actions, and the live part (<see cref="LiveAsync"/>: figures,
/// chart, per-minute table, edges) that the page's script re-fetches every 2 s.
/// </summary>
internal static class RolloutPage
{
    public static async Task<IResult> ShowAsync(HttpContext http, string app, string channel, string? done, ClaimsPrincipal user, DashboardData data, IAntiforgery antiforgery)
    {
        var actor = SignInPage.Session(user).Actor;
        var af = Html.Antiforgery(antiforgery, http);
        if (DashboardSetup.Refuse(user, app, af) is { } refused)
        {
            return refused;
        }

        if (await FindAsync(data, app, channel).ConfigureAwait(false) is not { } found)
        {
            return Html.Page("Not found", actor, Html.Notice("error", $"App {app} has no channel {channel}."), StatusCodes.Status404NotFound, af);
        }

        var (generation, view) = found;
        var path = $"/dashboard/apps/{Html.Segment(app)}/channels/{Html.Segment(channel)}";
        var body = new StringBuilder();
        body.Append("<p><a href=\"/dashboard\">Apps</a> › <a href=\"/dashboard/apps/").Append(Html.Segment(app)).Append("\">").Append(Html.E(app)).Append("</a> ›</p>")
            .Append("<h1>").Append(Html.E(channel)).Append(" <span class=\"badge\">generation ").Append(Html.E(generation)).Append("</span></h1>");
        if (done is not null)
        {
            body.Append(Html.Notice("ok", $"Done: {done}. Edges pick the change up within a second or two."));
        }

        var r = view.Rollout;
        body.Append("<table id=\"rollout\"><tbody><tr><th>Bundle</th><td>").Append(Html.E(view.Bundle ?? "builtin")).Append("</td></tr>");
        if (r is null)
        {
            body.Append("<tr><th>Rollout</th><td id=\"rollout-state\">none</td></tr>");
        }
        else
        {
            body.Append("<tr><th>Rollout</th><td>").Append(Html.E(r.Bundle)).Append(" to <b id=\"rollout-share\">").Append(Html.Bps(r.PercentageBps)).Append("</b> of devices, ")
                .Append("<span id=\"rollout-state\" class=\"badge ").Append(r.State).Append("\">").Append(r.State).Append("</span></td></tr>")
                .Append("<tr><th>Guard</th><td>").Append(r.Guard is { } g
                    ? Html.E($"pauses when the failure rate is above {Html.Bps(g.MaxFailureRateBps)} over at least {g.MinDevices} devices, counting since ") + Html.Time(DateTimeOffset.FromUnixTimeMilliseconds(g.Since))
                    : "none").Append("</td></tr>");
        }

        body.Append("</tbody></table>").Append(Actions(path, generation, r, af));
        body.Append("<div id=\"live\" data-live=\"").Append(path).Append("/live\" aria-live=\"polite\">")
            .Append(await LiveHtmlAsync(app, view, data).ConfigureAwait(false)).Append("</div>");
        return Html.Page($"{app} · {channel}", actor, body.ToString(), antiforgery: af);
    }

    /// <summary>The live fragment alone (figures, chart, tables), for the page's refresh.</summary>
    public static async Task<IResult> LiveAsync(string app, string channel, ClaimsPrincipal user, DashboardData data)
    {
        if (!DashboardSetup.Grants(user, app))
        {
            return Results.StatusCode(StatusCodes.Status403Forbidden);
        }

        return await FindAsync(data, app, channel).ConfigureAwait(false) is { } found
            ? Results.Content(await LiveHtmlAsync(app, found.Channel, data).ConfigureAwait(false), Html.ContentType, Encoding.UTF8)
            : Results.NotFound();
    }

    private static async Task<(long Generation, ChannelView Channel)?> FindAsync(DashboardData data, string app, string channel) =>
        await data.ChannelsAsync(app).ConfigureAwait(false) is { } all && all.Channels.FirstOrDefault(c => c.Name == channel) is { } view ? (all.Generation, view) : null;

    private static async Task<string> LiveHtmlAsync(string app, ChannelView view, DashboardData data)
    {
        var figures = await data.FiguresAsync(app, view).ConfigureAwait(false);
        var edges = await data.EdgesAsync(app).ConfigureAwait(false);
        var guard = view.Rollout?.Guard;
        var html = new StringBuilder();
        html.Append("<h2>").Append(Html.E(figures.Bundle)).Append(", last ").Append(DashboardData.ChartMinutes).Append(" minutes</h2><div class=\"figures\">")
            .Append(Figure("installs-total", Html.E(figures.Installs), "installs"))
            .Append(Figure("failures-total", Html.E(figures.Failures), "failures"))
            .Append(Figure("failure-rate", Html.Percent(figures.FailureRate), "failure rate"));
        if (guard is not null && figures.SinceGuard is { } since)
        {
            var rate = since.Installs + since.Failures == 0 ? (double?)null : (double)since.Failures / (since.Installs + since.Failures);
            html.Append(Figure("guard-rate", Html.Percent(rate), $"since the guard's start, against {Html.Bps(guard.MaxFailureRateBps)}"))
                .Append(Figure("guard-devices", Html.E(since.Devices), $"devices reporting (guard needs {guard.MinDevices})"));
        }

        html.Append("</div><div class=\"chart\">").Append(FailureChart.Render(figures, guard)).Append(FailureChart.Legend(guard)).Append("</div>");
        html.Append("<h2>Per minute</h2><table id=\"minutes\"><thead><tr><th>Minute (UTC)</th><th>Installs</th><th>Failures</th></tr></thead><tbody>");
        foreach (var m in figures.Minutes.Where(static m => m.Installs + m.Failures > 0).Reverse())
        {
            html.Append("<tr><td>").Append(m.Start.UtcDateTime.ToString("HH:mm", CultureInfo.InvariantCulture)).Append("</td><td>").Append(Html.E(m.Installs))
                .Append("</td><td>").Append(Html.E(m.Failures)).Append("</td></tr>");
        }

        html.Append("</tbody></table>");
        var generation = (await data.ChannelsAsync(app).ConfigureAwait(false))?.Generation ?? 0;
        return html.Append(AppPage.EdgesTable(edges, generation)).ToString();
    }

    private static string Figure(string id, string value, string label) => $"<div class=\"figure\"><b id=\"{id}\">{value}</b><span>{Html.E(label)}</span></div>";

    private static string Actions(string path, long generation, RolloutView? rollout, string antiforgery)
    {
        string Button(string action, string label, string css, string extra = "") =>
            $"<form method=\"post\" action=\"{path}/actions/{action}\" class=\"inline\">{antiforgery}<input type=\"hidden\" name=\"generation\" value=\"{generation}\">{extra}<button type=\"submit\" class=\"{css}\" id=\"action-{action}\">{label}</button></form>";

        var html = new StringBuilder("<div class=\"actions\">");
        if (rollout is not null)
        {
            html.Append(rollout.Paused ? Button("resume", "Resume", "primary") : Button("pause", "Pause", "danger"))
                .Append(Button("set", "Set share", "", $"<input type=\"number\" name=\"percent\" min=\"0\" max=\"100\" step=\"0.01\" value=\"{(rollout.PercentageBps / 100.0).ToString(CultureInfo.InvariantCulture)}\" aria-label=\"share in percent\"> % "))
                .Append(Button("promote", "Promote", "primary"));
        }

        return html.Append(Button("rollback", "Roll back", "")).Append("</div>").ToString();
    }
}

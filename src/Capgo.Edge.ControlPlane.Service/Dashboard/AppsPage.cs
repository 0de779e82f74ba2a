using System.Security.Claims;
using System.Text;
using Microsoft.AspNetCore.Antiforgery;

namespace Capgo.Edge.ControlPlane.Service.Dashboard;

/// <summary>The apps the signed-in key grants (one per key), each with its channels and rollouts at a glance.</summary>
internal static class AppsPage
{
    public static async Task<IResult> ShowAsync(HttpContext http, ClaimsPrincipal user, DashboardData data, IAntiforgery antiforgery)
    {
        var (appId, actor) = SignInPage.Session(user);
        var body = new StringBuilder("<h1>Apps</h1><table id=\"apps\"><thead><tr><th>App</th><th>Generation</th><th>Channels</th><th>Rollouts</th></tr></thead><tbody>");
        if (await data.ChannelsAsync(appId).ConfigureAwait(false) is { } app)
        {
            var rollouts = app.Channels.Where(static c => c.Rollout is not null).Select(static c => $"{c.Name}: {c.Rollout!.Bundle} {Html.Bps(c.Rollout.PercentageBps)} ({c.Rollout.State})");
            body.Append("<tr><td><a href=\"/dashboard/apps/").Append(Html.Segment(appId)).Append("\">").Append(Html.E(appId)).Append("</a></td><td>")
                .Append(Html.E(app.Generation)).Append("</td><td>").Append(Html.E(app.Channels.Count)).Append("</td><td>")
                .Append(Html.E(string.Join("; ", rollouts))).Append("</td></tr>");
        }
        else
        {
            body.Append("<tr><td colspan=\"4\">").Append(Html.E(appId)).Append(" is not published yet.</td></tr>");
        }

        body.Append("</tbody></table><p class=\"muted\">A key grants one app; sign in with another app's key to see that app.</p>");
        return Html.Page("Apps", actor, body.ToString(), antiforgery: Html.Antiforgery(antiforgery, http));
    }
}

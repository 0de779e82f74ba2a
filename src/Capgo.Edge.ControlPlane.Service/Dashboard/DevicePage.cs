using System.Security.Claims;
using System.Text;
using Microsoft.AspNetCore.Antiforgery;

namespace Capgo.Edge.ControlPlane.Service.Dashboard;

/// <summary>
/// Device lookup: by device id or by the custom id the app set, the registry entry the event consumer
/// keeps (docs/events.md) and what an edge would answer that device now (<c>DeviceExplanation</c>).
/// </summary>
internal static class DevicePage
{
    /// <summary>The registry fields the page shows, in order, with their labels.</summary>
    private static readonly (string Field, string Label)[] Shown =
    [
        ("version_name", "Bundle"), ("version_build", "Native version"), ("platform", "Platform"), ("plugin_version", "Plugin"),
        ("channel", "Channel"), ("default_channel", "Default channel"), ("custom_id", "Custom id"), ("last_event", "Last event"),
    ];

    public static async Task<IResult> ShowAsync(HttpContext http, string app, string? device, string? custom, ClaimsPrincipal user, DashboardData data, IAntiforgery antiforgery)
    {
        var actor = SignInPage.Session(user).Actor;
        var af = Html.Antiforgery(antiforgery, http);
        if (DashboardSetup.Refuse(user, app, af) is { } refused)
        {
            return refused;
        }

        device = device?.Trim();
        custom = custom?.Trim();
        var body = new StringBuilder();
        body.Append("<p><a href=\"/dashboard\">Apps</a> › <a href=\"/dashboard/apps/").Append(Html.Segment(app)).Append("\">").Append(Html.E(app)).Append("</a> ›</p>")
            .Append("<h1>Devices</h1>").Append(SearchForm(app, device, custom));
        if (string.IsNullOrEmpty(device) && string.IsNullOrEmpty(custom))
        {
            return Html.Page($"{app} · devices", actor, body.ToString(), antiforgery: af);
        }

        var found = await data.DevicesAsync(app, device, custom).ConfigureAwait(false);
        if (found.Count == 0)
        {
            var what = string.IsNullOrEmpty(device) ? $"custom id {custom}" : $"device id {device}";
            body.Append(Html.Notice("error", $"No device of {app} matches {what}: none sent an event within the registry's retention."));
        }

        foreach (var d in found)
        {
            body.Append(Entry(d));
        }

        return Html.Page($"{app} · devices", actor, body.ToString(), antiforgery: af);
    }

    /// <summary>The lookup form (a GET, so a result has a link of its own); the app page carries it too.</summary>
    public static string SearchForm(string app, string? device = null, string? custom = null) =>
        $"<form method=\"get\" action=\"/dashboard/apps/{Html.Segment(app)}/devices\" class=\"search\" id=\"device-search\">"
        + $"<label>Device id <input type=\"text\" name=\"device\" id=\"device\" value=\"{Html.E(device)}\"></label> "
        + $"<label>or custom id <input type=\"text\" name=\"custom\" id=\"custom\" value=\"{Html.E(custom)}\"></label> "
        + "<button type=\"submit\" id=\"find-device\">Find</button></form>";

    private static string Entry(DeviceView d)
    {
        var e = d.Entry;
        var html = new StringBuilder("<h2>").Append(Html.E(e.DeviceId)).Append("</h2><table class=\"device\"><tbody>")
            .Append("<tr><th>Last seen</th><td>").Append(Html.Time(e.LastSeen)).Append("</td></tr>");
        foreach (var (field, label) in Shown)
        {
            html.Append("<tr><th>").Append(label).Append("</th><td data-field=\"").Append(field).Append("\">").Append(Html.E(e.Get(field) is { Length: > 0 } v ? v : "–")).Append("</td></tr>");
        }

        html.Append("<tr><th>An edge would answer</th><td class=\"answer\">");
        if (d.Answer is { } a)
        {
            html.Append("<b>").Append(Html.E(a.Outcome)).Append(a.Version is null ? "" : " " + Html.E(a.Version)).Append("</b> from channel ")
                .Append(Html.E(a.Channel ?? "(none)")).Append(" (").Append(Html.E(a.Source)).Append(')');
            if (a.RolloutBucket >= 0)
            {
                html.Append(", rollout bucket ").Append(Html.E(a.RolloutBucket)).Append(a.InRollout ? " (in)" : " (out)");
            }

            html.Append(": ").Append(Html.E(a.Message));
        }
        else
        {
            html.Append(Html.E(d.Problem));
        }

        return html.Append("</td></tr></tbody></table>").ToString();
    }
}

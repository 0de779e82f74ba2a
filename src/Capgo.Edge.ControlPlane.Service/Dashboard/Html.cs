using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Antiforgery;

namespace Capgo.Edge.ControlPlane.Service.Dashboard;

/// <summary>
/// The dashboard's HTML: every value written into a page goes through <c>E</c> (HTML-encoded),
/// every form carries an antiforgery token (<see cref="Antiforgery"/>), and every page shares one shell.
/// </summary>
internal static class Html
{
    public const string ContentType = "text/html; charset=utf-8";

    public static string E(string? text) => HtmlEncoder.Default.Encode(text ?? "");

    public static string E(long value) => value.ToString(CultureInfo.InvariantCulture);

    public static string Percent(double? rate) => rate is { } r ? (r * 100).ToString("0.##", CultureInfo.InvariantCulture) + " %" : "–";

    public static string Bps(int bps) => (bps / 100.0).ToString("0.##", CultureInfo.InvariantCulture) + " %";

    public static string Time(DateTimeOffset time) => E(time.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) + " UTC");

    /// <summary>A URL path segment (app ids and channel names may hold characters a path does not).</summary>
    public static string Segment(string text) => Uri.EscapeDataString(text);

    /// <summary>A whole page: title, who is signed in (null on the sign-in page), the body.</summary>
    public static IResult Page(string title, string? signedInAs, string body, int status = StatusCodes.Status200OK, string? antiforgery = null)
    {
        var html = new StringBuilder(body.Length + 1024);
        html.Append("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">")
            .Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">")
            .Append("<title>").Append(E(title)).Append(" · Capgo Edge</title>")
            .Append("<link rel=\"stylesheet\" href=\"/dashboard/assets/dashboard.css\">")
            .Append("<script src=\"/dashboard/assets/dashboard.js\" defer></script></head><body>")
            .Append("<header><a class=\"brand\" href=\"/dashboard\">Capgo Edge</a>");
        if (signedInAs is not null)
        {
            html.Append("<span class=\"who\">signed in as <b>").Append(E(signedInAs)).Append("</b></span>")
                .Append("<form method=\"post\" action=\"/dashboard/sign-out\" class=\"inline\">").Append(antiforgery)
                .Append("<button type=\"submit\">Sign out</button></form>");
        }

        html.Append("</header><main>").Append(body).Append("</main></body></html>");
        return Results.Content(html.ToString(), ContentType, Encoding.UTF8, status);
    }

    /// <summary>The hidden antiforgery field for a form of this request.</summary>
    public static string Antiforgery(IAntiforgery antiforgery, HttpContext http)
    {
        var tokens = antiforgery.GetAndStoreTokens(http);
        return $"<input type=\"hidden\" name=\"{E(tokens.FormFieldName)}\" value=\"{E(tokens.RequestToken)}\">";
    }

    /// <summary>A message box: <c>ok</c> or <c>error</c>.</summary>
    public static string Notice(string kind, string message) => $"<p class=\"notice {kind}\" role=\"status\">{E(message)}</p>";
}

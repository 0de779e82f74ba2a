using System.Net;
using System.Text.RegularExpressions;

namespace Capgo.Edge.ControlPlane.Service.Tests.Dashboard;

/// <summary>The dashboard over plain HTTP, as a browser without JavaScript uses it: cookies, antiforgery fields, sign-in.</summary>
internal static partial class DashboardHttp
{
    public static HttpClient Client(DashboardStack stack, CookieContainer cookies) =>
        new(new HttpClientHandler { AllowAutoRedirect = false, CookieContainer = cookies }) { BaseAddress = stack.Service.Http.BaseAddress };

    public static async Task<HttpResponseMessage> PostSignInAsync(DashboardStack stack, CookieContainer cookies, string key)
    {
        using var http = Client(stack, cookies);
        var token = await AntiforgeryAsync(http, "/dashboard/sign-in");
        using var form = new FormUrlEncodedContent(new Dictionary<string, string> { [token.Name] = token.Value, ["key"] = key });
        return await http.PostAsync("/dashboard/sign-in", form);
    }

    /// <summary>The antiforgery field of the page's first form, as a browser would submit it.</summary>
    public static async Task<(string Name, string Value)> AntiforgeryAsync(HttpClient http, string page)
    {
        var html = await http.GetStringAsync(page);
        var match = HiddenInput().Match(html);
        Assert.True(match.Success, $"no antiforgery field on {page}");
        return (WebUtility.HtmlDecode(match.Groups[1].Value), WebUtility.HtmlDecode(match.Groups[2].Value));
    }

    [GeneratedRegex("<input type=\"hidden\" name=\"([^\"]+)\" value=\"([^\"]+)\">")]
    private static partial Regex HiddenInput();
}

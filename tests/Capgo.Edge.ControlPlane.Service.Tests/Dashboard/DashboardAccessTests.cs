using System.Net;

namespace Capgo.Edge.ControlPlane.Service.Tests.Dashboard;

/// <summary>The dashboard is never open: no session, an unknown key, or another app's key gets nothing of the app.</summary>
public sealed class DashboardAccessTests : IAsyncLifetime
{
    private const string Other = "com.other.app";
    private DashboardStack _stack = null!;

    public async Task InitializeAsync() => _stack = await DashboardStack.StartAsync();

    public async Task DisposeAsync() => await _stack.DisposeAsync();

    [Fact]
    public async Task Without_a_session_pages_redirect_to_sign_in_the_live_fragment_is_401_and_an_action_changes_nothing()
    {
        using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false }) { BaseAddress = _stack.Service.Http.BaseAddress };
        foreach (var page in new[] { "/dashboard", "/dashboard/apps/com.demo.app", "/dashboard/apps/com.demo.app/channels/production" })
        {
            using var response = await http.GetAsync(page);
            Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
            Assert.StartsWith("/dashboard/sign-in", response.Headers.Location!.PathAndQuery, StringComparison.Ordinal);
        }

        using (var live = await http.GetAsync("/dashboard/apps/com.demo.app/channels/production/live"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, live.StatusCode);
        }

        using var form = new FormUrlEncodedContent(new Dictionary<string, string> { ["generation"] = "0", ["confirmed"] = "yes" });
        using (var pause = await http.PostAsync("/dashboard/apps/com.demo.app/channels/production/actions/pause", form))
        {
            Assert.False(pause.IsSuccessStatusCode);
        }

        Assert.False((bool)(await _stack.ProductionAsync())["rollout"]!["paused"]!);

        // A key that is not one is refused at sign-in.
        using var signIn = await DashboardHttp.PostSignInAsync(_stack, new CookieContainer(), "cek_not-a-key");
        Assert.Equal(HttpStatusCode.Unauthorized, signIn.StatusCode);
    }

    [Fact]
    public async Task A_key_of_another_app_sees_only_its_app_and_is_refused_403_on_this_one()
    {
        var otherKey = (await _stack.CliAsync("key", "create", "--app", Other, "--name", "other-team")).Trim();

        // In the browser: the apps page lists only the key's app; this app's pages are refused.
        _stack.SignIn(otherKey);
        var apps = _stack.Browser.Text("#apps");
        Assert.Contains(Other, apps, StringComparison.Ordinal);
        Assert.DoesNotContain(DashboardStack.App, apps, StringComparison.Ordinal);
        _stack.Browser.Go(_stack.Url("/dashboard/apps/com.demo.app/channels/production"));
        Assert.Contains("Your key does not grant app com.demo.app", _stack.Browser.PageText, StringComparison.Ordinal);
        Assert.DoesNotContain("1.5.0", _stack.Browser.PageText, StringComparison.Ordinal);
        _stack.Browser.Screenshot("8-forbidden");

        // Over HTTP, with the same kind of session: 403 on pages, the fragment and the actions.
        var cookies = new CookieContainer();
        using (var signIn = await DashboardHttp.PostSignInAsync(_stack, cookies, otherKey))
        {
            Assert.Equal(HttpStatusCode.Redirect, signIn.StatusCode);
        }

        using var http = DashboardHttp.Client(_stack, cookies);
        foreach (var page in new[] { "/dashboard/apps/com.demo.app", "/dashboard/apps/com.demo.app/devices?custom=user-7", "/dashboard/apps/com.demo.app/channels/production/live" })
        {
            using var response = await http.GetAsync(page);
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        }

        var token = await DashboardHttp.AntiforgeryAsync(http, "/dashboard");
        using var form = new FormUrlEncodedContent(new Dictionary<string, string> { [token.Name] = token.Value, ["generation"] = "0", ["confirmed"] = "yes" });
        using (var pause = await http.PostAsync("/dashboard/apps/com.demo.app/channels/production/actions/pause", form))
        {
            Assert.Equal(HttpStatusCode.Forbidden, pause.StatusCode);
        }

        Assert.False((bool)(await _stack.ProductionAsync())["rollout"]!["paused"]!);
    }
}

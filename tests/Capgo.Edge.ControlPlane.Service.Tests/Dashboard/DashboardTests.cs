using Capgo.Edge.Tests.Support;

namespace Capgo.Edge.ControlPlane.Service.Tests.Dashboard;

/// <summary>
/// The dashboard in a real headless Chromium against the real service, edges and Redis: a signed-in
/// operator watches a rollout's figures move and acts on it from the page.
/// </summary>
public sealed class DashboardTests : IAsyncLifetime
{
    private DashboardStack _stack = null!;

    public async Task InitializeAsync() => _stack = await DashboardStack.StartAsync();

    public async Task DisposeAsync() => await _stack.DisposeAsync();

    [Fact]
    public async Task An_operator_signs_in_watches_the_rollout_figures_move_without_reloading_and_pauses_it_so_every_edge_stops_offering_the_bundle()
    {
        var browser = _stack.Browser;
        var cohort = await _stack.CohortDeviceAsync();
        foreach (var edge in _stack.Edges)
        {
            await Eventually.TrueAsync(async () => await DashboardStack.OfferedAsync(edge, cohort) == "1.5.0", $"{edge.Name} to offer the rollout's bundle to a cohort device");
        }

        // Not signed in: the dashboard sends the browser to the sign-in form.
        browser.Go(_stack.Url("/dashboard"));
        Assert.Contains("/dashboard/sign-in", browser.Url, StringComparison.Ordinal);
        browser.Screenshot("1-sign-in");
        _stack.SignIn(_stack.Key);
        Assert.Contains(DashboardStack.KeyName, browser.Text("header .who"), StringComparison.Ordinal);
        Assert.Contains("production: 1.5.0 25 % (running)", browser.Text("#apps"), StringComparison.Ordinal);
        browser.Screenshot("2-apps");

        // The app: channels with their rollout and guard, the last changes, both edges at the current generation.
        browser.Click($"#apps a");
        browser.WaitFor("#channels");
        var production = browser.Text("#channels");
        Assert.Contains("production 1.4.0 1.5.0 25 % running fail rate > 30 % over ≥ 1000 devices", production, StringComparison.Ordinal);
        Assert.Contains("rollout start", browser.Text("#history"), StringComparison.Ordinal);
        await Eventually.TrueAsync(
            () =>
            {
                browser.Go(new Uri(browser.Url));
                var edges = browser.Text("#edges");
                return edges.Contains("edge-1", StringComparison.Ordinal) && edges.Contains("edge-2", StringComparison.Ordinal) && !edges.Contains("behind", StringComparison.Ordinal);
            },
            "both edges to show as serving the current generation",
            TimeSpan.FromSeconds(10));
        browser.Screenshot("3-app");

        // The rollout: nothing counted yet; then devices report installs and failures of 1.5.0 and the
        // page's figures and chart follow within seconds, on the same page (no reload).
        browser.Click("#channels a[href$='/channels/production']");
        browser.WaitFor("#installs-total");
        Assert.Equal("0", browser.Text("#installs-total"));
        browser.Script("window.capgoSamePage = true;");
        await _stack.PostStatsAsync("set", "1.5.0", devices: 18);
        await _stack.PostStatsAsync("update_fail", "1.5.0", devices: 2);
        await Eventually.TrueAsync(() => browser.Text("#installs-total") == "18" && browser.Text("#failures-total") == "2", "the page to show 18 installs and 2 failures", TimeSpan.FromSeconds(15), pollMs: 100);
        Assert.Equal(true, browser.Script("return window.capgoSamePage === true;"));
        Assert.Equal("10 %", browser.Text("#failure-rate"));
        Assert.Equal("10 %", browser.Text("#guard-rate"));
        Assert.Single(browser.Driver.FindElements(OpenQA.Selenium.By.CssSelector("#chart #rate-line")));
        Assert.Single(browser.Driver.FindElements(OpenQA.Selenium.By.CssSelector("#chart #guard-line")));
        Assert.Contains("18 2", browser.Text("#minutes"), StringComparison.Ordinal);
        browser.Screenshot("4-rollout");

        // Pause from the page: a confirmation step, then the change, recorded with the key's name.
        browser.Click("#action-pause");
        browser.WaitFor("#confirm");
        Assert.Contains("Applies only if the app is still at generation", browser.PageText, StringComparison.Ordinal);
        browser.Screenshot("5-confirm-pause");
        browser.Click("#confirm");
        browser.WaitFor("#rollout-state");
        Assert.Equal("paused", browser.Text("#rollout-state"));
        Assert.Contains("Done: rollout paused", browser.PageText, StringComparison.Ordinal);
        browser.Screenshot("6-paused");
        Assert.True((bool)(await _stack.ProductionAsync())["rollout"]!["paused"]!);
        var history = await _stack.CliAsync("history", "--app", DashboardStack.App, "--channel", "production", "--json");
        var last = System.Text.Json.Nodes.JsonNode.Parse(history)!.AsArray()[0]!;
        Assert.Equal((DashboardStack.KeyName, "rollout pause"), ((string?)last["actor"], (string?)last["operation"]));

        // Every edge stops offering 1.5.0 to a cohort device that never ran it.
        foreach (var edge in _stack.Edges)
        {
            await Eventually.TrueAsync(async () => await DashboardStack.OfferedAsync(edge, cohort) == "1.4.0", $"{edge.Name} to stop offering 1.5.0");
        }
    }

    [Fact]
    public async Task A_confirmation_overtaken_by_another_change_is_refused_with_a_clear_message_and_changes_nothing()
    {
        var browser = _stack.Browser;
        _stack.SignIn(_stack.Key);
        browser.Go(_stack.Url("/dashboard/apps/com.demo.app/channels/production"));
        browser.Click("#action-pause");
        browser.WaitFor("#confirm");

        // Someone else changes the rollout between the confirmation page and the click.
        await _stack.CliAsync("rollout", "set", "--app", DashboardStack.App, "--channel", "production", "--percent", "40", "--actor", "ci");
        browser.Click("#confirm");
        browser.WaitFor("p.notice");
        Assert.Contains("Refused: the app changed since you loaded the page", browser.Text("p.notice"), StringComparison.Ordinal);
        browser.Screenshot("7-refused");

        var production = await _stack.ProductionAsync();
        Assert.False((bool)production["rollout"]!["paused"]!);
        Assert.Equal(4_000, (int)production["rollout"]!["percentage_bps"]!);
    }
}

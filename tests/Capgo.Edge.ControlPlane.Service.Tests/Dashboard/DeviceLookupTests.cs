using Capgo.Edge.Tests.Support;

namespace Capgo.Edge.ControlPlane.Service.Tests.Dashboard;

/// <summary>Device lookup in the browser: the registry entry an event left, and what an edge would answer the device.</summary>
public sealed class DeviceLookupTests : IAsyncLifetime
{
    private DashboardStack _stack = null!;

    public async Task InitializeAsync() => _stack = await DashboardStack.StartAsync();

    public async Task DisposeAsync() => await _stack.DisposeAsync();

    [Fact]
    public async Task Searching_by_custom_id_shows_the_devices_bundle_and_what_an_edge_would_answer_it_and_an_unknown_id_says_no_device_matches()
    {
        var browser = _stack.Browser;
        var cohort = await _stack.CohortDeviceAsync();
        await _stack.PostStatsAsync([cohort], "set", "1.3.1", customId: "user-42");
        _stack.SignIn(_stack.Key);

        // From the app page's search form, by the custom id the app set; the consumer counts the event within seconds.
        await Eventually.TrueAsync(
            () =>
            {
                browser.Go(_stack.Url("/dashboard/apps/com.demo.app"));
                browser.Find("#custom").SendKeys("user-42");
                browser.Click("#find-device");
                browser.WaitFor("#device-search");
                return browser.Text("table.device").Length > 0;
            },
            "the page to find the device by its custom id",
            TimeSpan.FromSeconds(15));
        Assert.Contains("custom=user-42", browser.Url, StringComparison.Ordinal);
        Assert.Equal(cohort, browser.Text("main h2"));
        Assert.Equal("1.3.1", browser.Text("td[data-field=version_name]"));
        Assert.Equal("1.2.0", browser.Text("td[data-field=version_build]"));
        Assert.Equal("android", browser.Text("td[data-field=platform]"));
        Assert.Equal("set", browser.Text("td[data-field=last_event]"));

        // The answer is the rollout's bundle (the device is in its 25 %), as every edge answers it.
        var answer = browser.Text("td.answer");
        Assert.StartsWith("update_available 1.5.0 from channel production (public), rollout bucket", answer, StringComparison.Ordinal);
        Assert.Contains("(in)", answer, StringComparison.Ordinal);
        Assert.Equal("1.5.0", await DashboardStack.OfferedAsync(_stack.Edges[0], cohort));
        browser.Screenshot("9-device");

        // By device id, the same entry; an id nobody reported is a plain message on a 200 page.
        browser.Go(_stack.Url("/dashboard/apps/com.demo.app/devices?device=" + cohort));
        Assert.Equal("1.3.1", browser.Text("td[data-field=version_name]"));
        Assert.Equal("user-42", browser.Text("td[data-field=custom_id]"));
        browser.Go(_stack.Url("/dashboard/apps/com.demo.app/devices?custom=nobody"));
        Assert.Contains("No device of com.demo.app matches custom id nobody", browser.Text("p.notice"), StringComparison.Ordinal);
        Assert.Empty(browser.Driver.FindElements(OpenQA.Selenium.By.CssSelector("table.device")));
        var cookies = new System.Net.CookieContainer();
        (await DashboardHttp.PostSignInAsync(_stack, cookies, _stack.Key)).Dispose();
        using var http = DashboardHttp.Client(_stack, cookies);
        using var unknown = await http.GetAsync("/dashboard/apps/com.demo.app/devices?device=no-such-device");
        Assert.Equal(System.Net.HttpStatusCode.OK, unknown.StatusCode);
        Assert.Contains("No device of com.demo.app matches device id no-such-device", await unknown.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}

using System.Globalization;
using Capgo.Edge.Tests.Support;
using OpenQA.Selenium;

namespace Capgo.Edge.ControlPlane.Service.Tests.Dashboard;

/// <summary>The app page's adoption chart and table: each day's active devices per bundle, as the event consumer counted them.</summary>
public sealed class AdoptionTests : IAsyncLifetime
{
    private DashboardStack _stack = null!;

    public async Task InitializeAsync() => _stack = await DashboardStack.StartAsync();

    public async Task DisposeAsync() => await _stack.DisposeAsync();

    [Fact]
    public async Task The_app_page_shows_todays_active_devices_per_bundle_counting_each_device_once_in_a_stacked_chart_and_a_table()
    {
        var browser = _stack.Browser;
        _stack.SignIn(_stack.Key);
        browser.Go(_stack.Url("/dashboard/apps/com.demo.app"));
        Assert.Contains("No active device counted in the last 14 days", browser.Text("#adoption-none"), StringComparison.Ordinal);

        // 7 devices on 1.5.0 (each sending two events) and 3 on 1.4.0.
        await _stack.PostStatsAsync("set", "1.5.0", devices: 7);
        await _stack.PostStatsAsync("download_complete", "1.5.0", devices: 7);
        await _stack.PostStatsAsync("set", "1.4.0", devices: 3, first: 100);
        await Eventually.TrueAsync(
            () =>
            {
                browser.Go(_stack.Url("/dashboard/apps/com.demo.app"));
                return browser.Text("#adoption tbody tr:first-child td:last-child") == "10";
            },
            "the adoption table to count 10 devices today",
            TimeSpan.FromSeconds(15));

        var today = DateTime.UtcNow.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        Assert.StartsWith(today, browser.Text("#adoption tbody tr:first-child td:first-child"), StringComparison.Ordinal);
        Assert.Equal("7", browser.Text("#adoption tbody tr:first-child td[data-bundle='1.5.0']"));
        Assert.Equal("3", browser.Text("#adoption tbody tr:first-child td[data-bundle='1.4.0']"));
        Assert.Equal("0", browser.Text("#adoption tbody tr:nth-child(2) td[data-bundle='1.5.0']"));
        Assert.Equal(14, browser.Driver.FindElements(By.CssSelector("#adoption tbody tr")).Count);
        Assert.Equal(2, browser.Driver.FindElements(By.CssSelector("#adoption-chart rect[fill]:not([x='44'])")).Count);
        browser.Screenshot("10-adoption");
    }
}

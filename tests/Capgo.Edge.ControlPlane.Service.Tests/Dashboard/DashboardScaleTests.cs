using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using Xunit.Abstractions;

namespace Capgo.Edge.ControlPlane.Service.Tests.Dashboard;

/// <summary>
/// The dashboard's pages with many apps and devices in Redis: each page is timed before and after the
/// fill (ratios, as docs/performance.md measures), and must still show the right app and devices.
/// The fill is small by default; <c>CAPGO_DASHBOARD_SCALE=full</c> fills 1 000 apps and 1 000 000
/// devices (docs/performance.md §6). Times go to the test output and
/// <c>TestResults/dashboard-timings.md</c>; they are recorded, never asserted.
/// </summary>
public sealed class DashboardScaleTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int Warmup = 5;
    private const int Rounds = 40;
    private DashboardStack _stack = null!;

    private static bool Full => Environment.GetEnvironmentVariable("CAPGO_DASHBOARD_SCALE") == "full";

    public async Task InitializeAsync() => _stack = await DashboardStack.StartAsync();

    public async Task DisposeAsync() => await _stack.DisposeAsync();

    [Fact]
    public async Task With_many_apps_and_devices_in_redis_every_page_still_shows_only_its_app_and_finds_a_device_among_them()
    {
        var (apps, devices) = Full ? (1_000, 1_000_000) : (20, 20_000);
        var cookies = new CookieContainer();
        using (var signIn = await DashboardHttp.PostSignInAsync(_stack, cookies, _stack.Key))
        {
            Assert.Equal(HttpStatusCode.Redirect, signIn.StatusCode);
        }

        using var http = DashboardHttp.Client(_stack, cookies);

        // The looked-up device (index 0: the dashboard's app, custom id user-0) exists before the fill too, so both timings find it.
        await ScaleFill.RunAsync(_stack.RedisConnectionString, apps: 1, devices: 1);
        var device = ScaleFill.Device(0, apps).Device;
        var pages = new (string Name, string Path)[]
        {
            ("apps", "/dashboard"),
            ("app", "/dashboard/apps/com.demo.app"),
            ("rollout", "/dashboard/apps/com.demo.app/channels/production"),
            ("rollout live fragment", "/dashboard/apps/com.demo.app/channels/production/live"),
            ("device by id", "/dashboard/apps/com.demo.app/devices?device=" + device),
            ("device by custom id", "/dashboard/apps/com.demo.app/devices?custom=" + ScaleFill.CustomId(0)),
        };
        var before = new List<(double Median, double P95)>();
        foreach (var (_, path) in pages)
        {
            before.Add(await TimeAsync(http, path));
        }

        var fill = Stopwatch.StartNew();
        await ScaleFill.RunAsync(_stack.RedisConnectionString, apps, devices);
        fill.Stop();

        // The pages still read only their app: one row on the apps page, the device among the many, today's adoption counted.
        var appsPage = await http.GetStringAsync("/dashboard");
        Assert.DoesNotContain("com.scale.app", appsPage, StringComparison.Ordinal);
        var byId = await http.GetStringAsync(pages[4].Path);
        Assert.Contains($"<td data-field=\"version_name\">{ScaleFill.BundleOf(0)}</td>", byId, StringComparison.Ordinal);
        var byCustom = await http.GetStringAsync(pages[5].Path);
        Assert.Contains($"<td data-field=\"custom_id\">{ScaleFill.CustomId(0)}</td>", byCustom, StringComparison.Ordinal);
        var appPage = await http.GetStringAsync(pages[1].Path);
        Assert.Contains("<table id=\"adoption\">", appPage, StringComparison.Ordinal);
        Assert.Contains($"<td data-bundle=\"1.3.1\">", appPage, StringComparison.Ordinal);

        var report = new StringBuilder().Append(CultureInfo.InvariantCulture, $"{apps} apps, {devices} registry entries (filled in {fill.Elapsed.TotalSeconds:0.0} s); ms per request over {Rounds} sequential requests on loopback\n\n")
            .AppendLine("| page | before: median | before: p95 | after: median | after: p95 | after ÷ before (median) |")
            .AppendLine("|---|---|---|---|---|---|");
        for (var i = 0; i < pages.Length; i++)
        {
            var after = await TimeAsync(http, pages[i].Path);
            report.AppendLine(CultureInfo.InvariantCulture, $"| {pages[i].Name} | {before[i].Median:0.00} | {before[i].P95:0.00} | {after.Median:0.00} | {after.P95:0.00} | {after.Median / before[i].Median:0.00} |");
        }

        output.WriteLine(report.ToString());
        Directory.CreateDirectory(Path.GetDirectoryName(Browser.ScreenshotDirectory)!);
        await File.WriteAllTextAsync(Path.Combine(Path.GetDirectoryName(Browser.ScreenshotDirectory)!, "dashboard-timings.md"), report.ToString());
    }

    /// <summary>Median and 95th percentile of the request's time, in ms, after a warm-up; every answer must be 200.</summary>
    private static async Task<(double Median, double P95)> TimeAsync(HttpClient http, string path)
    {
        var times = new List<double>(Rounds);
        for (var i = 0; i < Warmup + Rounds; i++)
        {
            var clock = Stopwatch.StartNew();
            using var response = await http.GetAsync(path);
            await response.Content.ReadAsByteArrayAsync();
            clock.Stop();
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            if (i >= Warmup)
            {
                times.Add(clock.Elapsed.TotalMilliseconds);
            }
        }

        times.Sort();
        return (times[times.Count / 2], times[(int)(times.Count * 0.95)]);
    }
}

using OpenQA.Selenium;
using OpenQA.Selenium.Chrome;
using OpenQA.Selenium.Support.UI;

namespace Capgo.Edge.ControlPlane.Service.Tests.Dashboard;

/// <summary>
/// Debian's headless Chromium driven through its chromedriver (packages <c>chromium</c> and
/// <c>chromium-driver</c>, which .ci/run installs). Missing, it fails the test: a dashboard test that
/// skips proves nothing. Screenshots go to <c>TestResults/dashboard-screenshots/</c> in the test output.
/// </summary>
internal sealed class Browser : IDisposable
{
    public const string Chromium = "/usr/bin/chromium";
    public const string ChromeDriver = "/usr/bin/chromedriver";

    private readonly ChromeDriver _driver;

    private Browser(ChromeDriver driver) => _driver = driver;

    public static string ScreenshotDirectory { get; } = Path.Combine(AppContext.BaseDirectory, "TestResults", "dashboard-screenshots");

    public IWebDriver Driver => _driver;

    public string Url => _driver.Url;

    public static Browser Start()
    {
        Assert.True(File.Exists(Chromium), $"{Chromium} is missing: apt-get install chromium chromium-driver (.ci/run does)");
        Assert.True(File.Exists(ChromeDriver), $"{ChromeDriver} is missing: apt-get install chromium-driver (.ci/run does)");
        var service = ChromeDriverService.CreateDefaultService(Path.GetDirectoryName(ChromeDriver)!, Path.GetFileName(ChromeDriver));
        service.SuppressInitialDiagnosticInformation = true;
        service.HideCommandPromptWindow = true;
        var options = new ChromeOptions { BinaryLocation = Chromium };
        options.AddArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,1100", "--disable-gpu", "--no-first-run");
        return new Browser(new ChromeDriver(service, options, TimeSpan.FromSeconds(60)));
    }

    public void Go(Uri url) => _driver.Navigate().GoToUrl(url);

    public IWebElement Find(string css) => _driver.FindElement(By.CssSelector(css));

    /// <summary>
    /// The rendered text of the first element the selector finds, whitespace folded ("" when none), read in one script call:
    /// the live refresh replaces elements, so a found element may be gone by the time its text is read.
    /// </summary>
    public string Text(string css) =>
        _driver.ExecuteScript("var e = document.querySelector(arguments[0]); return e ? e.innerText.replace(/\\s+/g, ' ').trim() : '';", css) as string ?? "";

    public void Click(string css) => Find(css).Click();

    public string PageText => _driver.FindElement(By.TagName("body")).Text;

    /// <summary>Waits for the page the last click or navigation loads, by an element of it.</summary>
    public void WaitFor(string css) =>
        new WebDriverWait(_driver, TimeSpan.FromSeconds(15)).Until(d => d.FindElements(By.CssSelector(css)).Count > 0);

    public object? Script(string script) => _driver.ExecuteScript(script);

    public string Screenshot(string name)
    {
        Directory.CreateDirectory(ScreenshotDirectory);
        var path = Path.Combine(ScreenshotDirectory, name + ".png");
        _driver.GetScreenshot().SaveAsFile(path);
        return path;
    }

    public void Dispose()
    {
        _driver.Quit();
        _driver.Dispose();
    }
}

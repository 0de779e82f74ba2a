using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Capgo.Edge.Core;
using Capgo.Edge.Tests.Support;

namespace Capgo.Edge.ControlPlane.Service.Tests.Dashboard;

/// <summary>
/// What the dashboard tests run against: a real Redis, two real edges, the control-plane service, the
/// sample app published with a guarded 25 % rollout of 1.5.0 on production, an app key named
/// <see cref="KeyName"/>, and a headless Chromium.
/// </summary>
internal sealed class DashboardStack : IAsyncDisposable
{
    public const string App = Documents.AppId;
    public const string KeyName = "ops-alice";

    private RedisServer _redis = null!;
    private string _dir = null!;

    public TestEdge[] Edges { get; private set; } = [];

    public TestService Service { get; private set; } = null!;

    public Browser Browser { get; private set; } = null!;

    /// <summary>The key of <see cref="App"/>.</summary>
    public string Key { get; private set; } = null!;

    public string RedisConnectionString => _redis.ConnectionString;

    public Uri Url(string path) => new(Service.Http.BaseAddress!, path);

    public static async Task<DashboardStack> StartAsync()
    {
        var stack = new DashboardStack { _redis = await RedisServer.StartAsync() };
        stack.Edges =
        [
            await TestEdge.StartAsync(new TestEdgeOptions { Redis = stack._redis.ConnectionString, Name = "edge-1", WaitReady = false }),
            await TestEdge.StartAsync(new TestEdgeOptions { Redis = stack._redis.ConnectionString, Name = "edge-2", WaitReady = false }),
        ];
        stack.Service = await TestService.StartAsync(stack._redis.ConnectionString);
        stack._dir = Directory.CreateTempSubdirectory("capgo-dashboard-").FullName;
        var file = Path.Combine(stack._dir, "app.json");
        await File.WriteAllBytesAsync(file, Documents.Sample());
        await stack.CliAsync("publish", file, "--wait");
        string[] production = ["--app", App, "--channel", "production", "--actor", "ci"];
        await stack.CliAsync(["rollout", "abort", .. production]);
        await stack.CliAsync(["rollout", "start", .. production, "--bundle", "1.5.0", "--percent", "25", "--max-failure-rate", "30", "--min-devices", "1000", "--wait"]);
        stack.Key = (await stack.CliAsync("key", "create", "--app", App, "--name", KeyName)).Trim();
        stack.Browser = Browser.Start();
        return stack;
    }

    public Task<string> CliAsync(params string[] args) => CliRun.OkAsync([.. args, "--redis", _redis.ConnectionString]);

    /// <summary>The production channel as stored.</summary>
    public async Task<JsonNode> ProductionAsync() =>
        JsonNode.Parse(await CliAsync("show", "--app", App))!["channels"]!.AsArray().Single(c => (string?)c!["name"] == "production")!;

    /// <summary>Signs the browser in with a key; lands on the apps page.</summary>
    public void SignIn(string key)
    {
        Browser.Go(Url("/dashboard/sign-in"));
        Browser.Find("#key").SendKeys(key);
        Browser.Click("#sign-in");
        Browser.WaitFor("header .who");
    }

    /// <summary>Device events as the plugin posts them to an edge's /stats.</summary>
    public Task PostStatsAsync(string action, string bundle, int devices, int first = 0) =>
        PostStatsAsync(Enumerable.Range(first, devices).Select(Device), action, bundle);

    /// <summary>One event per device, each carrying <paramref name="customId"/> when given.</summary>
    public async Task PostStatsAsync(IEnumerable<string> devices, string action, string bundle, string? customId = null)
    {
        var events = devices.Select(device => new Dictionary<string, object>
        {
            ["app_id"] = App, ["device_id"] = device, ["custom_id"] = customId ?? "", ["platform"] = "android", ["version_name"] = bundle, ["version_build"] = "1.2.0",
            ["version_os"] = "14", ["plugin_version"] = "8.51.23", ["action"] = action, ["is_emulator"] = false, ["is_prod"] = true,
        });
        using var response = await Edges[0].Http.PostAsJsonAsync("/stats", events.ToArray());
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
    }

    public static string Device(int i) => new Guid(i, 0x5555, 0x4666, [0x84, 0x44, 0, 0, 0, 0, 0, 7]).ToString("D");

    /// <summary>A device that the running rollout's 25 % takes in.</summary>
    public async Task<string> CohortDeviceAsync()
    {
        var rolloutId = (string)(await ProductionAsync())["rollout"]!["id"]!;
        return Enumerable.Range(10_000, 10_000).Select(Device).First(d => RolloutBucket.IsIn(RolloutBucket.Compute(rolloutId, d), 2_500));
    }

    /// <summary>The version the edge offers the device (on 1.3.1, native 1.2.0), or its error code.</summary>
    public static async Task<string> OfferedAsync(TestEdge edge, string device)
    {
        var body = (Dictionary<string, object>)Documents.AndroidCheck(device);
        body.Remove("defaultChannel");
        var (status, reply) = await edge.CheckAsync(body);
        Assert.Equal(200, status);
        return reply.TryGetProperty("error", out var error) ? error.GetString()! : reply.GetProperty("version").GetString()!;
    }

    public async ValueTask DisposeAsync()
    {
        Browser?.Dispose();
        await Service.DisposeAsync();
        foreach (var edge in Edges)
        {
            await edge.DisposeAsync();
        }

        await _redis.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }
}

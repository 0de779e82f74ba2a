using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Capgo.Edge.Core;
using Capgo.Edge.Tests.Support;

namespace Capgo.Edge.ControlPlane.Service.Tests;

/// <summary>
/// The loop from device events back to release decisions, end to end: a real Redis, a real edge taking
/// the plugin's calls, the control-plane service consuming its events, and the capgo-edge command line.
/// </summary>
public sealed class ReleaseHealthTests : IAsyncLifetime
{
    private const string App = Documents.AppId;
    private RedisServer _redis = null!;
    private TestEdge _edge = null!;
    private TestService _service = null!;
    private string _dir = null!;

    public async Task InitializeAsync()
    {
        _redis = await RedisServer.StartAsync();
        _edge = await TestEdge.StartAsync(new TestEdgeOptions { Redis = _redis.ConnectionString, Name = "edge-1", WaitReady = false });
        _service = await TestService.StartAsync(_redis.ConnectionString);
        _dir = Directory.CreateTempSubdirectory("capgo-release-health-").FullName;
        var file = Path.Combine(_dir, "app.json");
        await File.WriteAllBytesAsync(file, Documents.Sample());
        await CliAsync("publish", file, "--wait");
        await Eventually.TrueAsync(() => _edge.Store.Find(App) is not null, "the edge to load the app");
    }

    public async Task DisposeAsync()
    {
        await _service.DisposeAsync();
        await _edge.DisposeAsync();
        await _redis.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    private Task<string> CliAsync(params string[] args) => CliRun.OkAsync([.. args, "--redis", _redis.ConnectionString]);

    private static Dictionary<string, object> StatsEvent(string device, string action, string bundle, string? customId = null) => new()
    {
        ["app_id"] = App,
        ["device_id"] = device,
        ["platform"] = "android",
        ["version_name"] = bundle,
        ["version_build"] = "1.2.0",
        ["version_os"] = "14",
        ["plugin_version"] = "8.51.23",
        ["action"] = action,
        ["is_emulator"] = false,
        ["is_prod"] = true,
        ["custom_id"] = customId ?? "",
    };

    private async Task PostStatsAsync(IEnumerable<Dictionary<string, object>> events)
    {
        foreach (var chunk in events.Chunk(50))
        {
            using var response = await _edge.Http.PostAsJsonAsync("/stats", chunk);
            Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        }
    }

    private static string Device(int i) => new Guid(i, 0x2222, 0x4333, [0x84, 0x44, 0, 0, 0, 0, 0, 9]).ToString("D");

    [Fact]
    public async Task Events_posted_to_stats_and_produced_by_checks_show_in_stats_and_devices_with_exact_counts()
    {
        // 40 installs of 1.4.0, 10 download failures, 5 completed downloads, and 25 update checks.
        await PostStatsAsync(Enumerable.Range(0, 40).Select(i => StatsEvent(Device(i), "set", "1.4.0", customId: i == 7 ? "user-7" : null)));
        await PostStatsAsync(Enumerable.Range(0, 10).Select(i => StatsEvent(Device(i), "download_fail", "1.4.0")));
        await PostStatsAsync(Enumerable.Range(0, 5).Select(i => StatsEvent(Device(i), "download_complete", "1.4.0")));
        for (var i = 0; i < 25; i++)
        {
            var (status, _) = await _edge.CheckAsync(Documents.AndroidCheck(Device(100 + i)));
            Assert.Equal(200, status);
        }

        await Eventually.TrueAsync(
            async () => JsonNode.Parse(await CliAsync("stats", "--app", App, "--window", "1h", "--json"))!.AsArray()
                .Sum(b => (long)b!["installs"]! + (long)b["failures"]! + (long)b["downloads"]! + (long)b["checks"]!) == 80,
            "the service to count all 80 events");
        var stats = JsonNode.Parse(await CliAsync("stats", "--app", App, "--window", "1h", "--json"))!.AsArray();
        var installed = stats.Single(b => (string?)b!["bundle"] == "1.4.0")!;
        Assert.Equal((40L, 10L, 5L, 40L), ((long)installed["installs"]!, (long)installed["failures"]!, (long)installed["downloads"]!, (long)installed["active_devices"]!));
        Assert.Equal(0.2, (double)installed["failure_rate"]!, 6);
        var checks = stats.Single(b => (string?)b!["bundle"] == "1.3.1")!; // the check body's device runs 1.3.1
        Assert.Equal(25L, (long)checks["checks"]!);

        // The registry: by device id, and by the custom id the app set.
        var device = JsonNode.Parse(await CliAsync("devices", "--app", App, "--device", Device(7), "--json"))!.AsArray().Single()!;
        Assert.Equal("1.4.0", (string?)device["entry"]!["version_name"]);
        Assert.Equal("user-7", (string?)device["entry"]!["custom_id"]);
        var byCustom = JsonNode.Parse(await CliAsync("devices", "--app", App, "--custom-id", "user-7", "--json"))!.AsArray();
        Assert.Equal(Device(7), (string?)Assert.Single(byCustom)!["device_id"]);
        var checker = JsonNode.Parse(await CliAsync("devices", "--app", App, "--device", Device(100), "--json"))!.AsArray().Single()!;
        Assert.Equal("check:update_available", (string?)checker["entry"]!["last_event"]);
        Assert.Equal("update_available", (string?)checker["would_answer"]!["outcome"]);

        // The same reads through the release API with an app key.
        var key = (await CliAsync("key", "create", "--app", App)).Trim();
        Assert.Equal(
            JsonNode.Parse(await CliAsync("stats", "--app", App, "--window", "1h", "--json"))!.ToJsonString(),
            JsonNode.Parse(await ApiAsync(key, "stats", "--app", App, "--window", "1h", "--json"))!.ToJsonString());
        Assert.Equal(
            JsonNode.Parse(await CliAsync("devices", "--app", App, "--custom-id", "user-7", "--json"))!.ToJsonString(),
            JsonNode.Parse(await ApiAsync(key, "devices", "--app", App, "--custom-id", "user-7", "--json"))!.ToJsonString());
    }

    private Task<string> ApiAsync(string key, params string[] args) => CliRun.OkAsync([.. args, "--api", _service.Http.BaseAddress!.ToString(), "--api-key", key]);

    [Fact]
    public async Task A_guarded_rollout_whose_devices_fail_is_paused_within_5_seconds_and_new_devices_get_the_channels_bundle()
    {
        string[] production = ["--app", App, "--channel", "production", "--actor", "ci"];
        await CliAsync(["rollout", "abort", .. production]);
        await CliAsync("bundle", "add", "--app", App, "--name", "2.0.0", "--url", "https://cdn.example.com/2.0.0.zip", "--checksum", "c0ffee20", "--actor", "ci");
        await CliAsync(["channel", "set", .. production, "--disable-auto-update", "none"]);
        await CliAsync(["rollout", "start", .. production, "--bundle", "2.0.0", "--percent", "20", "--max-failure-rate", "10", "--min-devices", "20", "--wait"]);
        var rolloutId = (string)JsonNode.Parse(await CliAsync("show", "--app", App))!["channels"]!.AsArray()
            .Single(c => (string?)c!["name"] == "production")!["rollout"]!["id"]!;

        // A device in the 20 % cohort is offered 2.0.0 while the rollout runs.
        var cohort = Enumerable.Range(1_000, 10_000).Select(Device).First(d => RolloutBucket.IsIn(RolloutBucket.Compute(rolloutId, d), 2_000));
        Assert.Equal("2.0.0", await OfferedAsync(cohort));

        // 24 devices install 2.0.0 and 6 of them report failures: 20 % > 10 %, over 24 devices ≥ 20.
        await PostStatsAsync(Enumerable.Range(0, 24).Select(i => StatsEvent(Device(i), "set", "2.0.0")));
        await PostStatsAsync(Enumerable.Range(0, 6).Select(i => StatsEvent(Device(i), "update_fail", "2.0.0")));

        await Eventually.TrueAsync(
            async () => (bool?)JsonNode.Parse(await CliAsync("show", "--app", App))!["channels"]!.AsArray()
                .Single(c => (string?)c!["name"] == "production")!["rollout"]!["paused"] == true,
            "the service to pause the rollout",
            TimeSpan.FromSeconds(5));

        var history = JsonNode.Parse(await CliAsync("history", "--app", App, "--channel", "production", "--json"))!.AsArray();
        var pause = history[0]!;
        Assert.Equal(("auto-pause", "rollout pause"), ((string?)pause["actor"], (string?)pause["operation"]));
        Assert.Contains("6 failures, 24 installs", (string?)pause["note"], StringComparison.Ordinal);

        // Paused: a device of the cohort that never ran 2.0.0 gets the channel's bundle once the edge has the change.
        await Eventually.TrueAsync(async () => await OfferedAsync(cohort) == "1.4.0", "the edge to serve the paused rollout");
    }

    /// <summary>The version an edge offers the device (a device on 1.3.1, native 1.2.0, plugin 8), or its error code.</summary>
    private async Task<string> OfferedAsync(string device)
    {
        var body = (Dictionary<string, object>)Documents.AndroidCheck(device);
        body.Remove("defaultChannel");
        var (status, reply) = await _edge.CheckAsync(body);
        Assert.Equal(200, status);
        return reply.TryGetProperty("error", out var error) ? error.GetString()! : reply.GetProperty("version").GetString()!;
    }
}

using System.Text.Json.Nodes;
using Capgo.Edge.Redis;
using Capgo.Edge.Tests.Support;
using StackExchange.Redis;

namespace Capgo.Edge.ControlPlane.Tests;

/// <summary>The release commands of capgo-edge against a real Redis: a CI pipeline, refusals and exit codes.</summary>
public sealed class ReleaseCliTests : IAsyncLifetime
{
    private const string App = Documents.AppId;
    private RedisServer _redis = null!;
    private ConnectionMultiplexer _mux = null!;
    private string _dir = null!;

    public async Task InitializeAsync()
    {
        _redis = await RedisServer.StartAsync();
        _mux = await ConnectionMultiplexer.ConnectAsync(_redis.ConnectionString);
        _dir = Directory.CreateTempSubdirectory("capgo-release-cli-").FullName;
    }

    public async Task DisposeAsync()
    {
        await _mux.DisposeAsync();
        await _redis.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    private Task<(int Code, string Out, string Err)> RunAsync(params string[] args) => CliRun.RunAsync([.. args, "--redis", _redis.ConnectionString]);

    /// <summary>Runs a command that must succeed, and returns its standard output.</summary>
    private Task<string> OkAsync(params string[] args) => CliRun.OkAsync([.. args, "--redis", _redis.ConnectionString]);

    private async Task<long> GenerationAsync() => (long)await _mux.GetDatabase().HashGetAsync(new RedisLayout().App(App), "gen");

    /// <summary>Publishes the sample with its production rollout aborted (a channel runs one rollout at a time) and bundle 2.0.0 added.</summary>
    private async Task PublishWithBundleAsync()
    {
        var file = Path.Combine(_dir, "app.json");
        await File.WriteAllBytesAsync(file, Documents.Sample());
        await OkAsync("publish", file, "--actor", "ci");
        await OkAsync("rollout", "abort", "--app", App, "--channel", "production", "--actor", "ci");
        await OkAsync("bundle", "add", "--app", App, "--name", "2.0.0", "--url", "https://cdn.example.com/2.0.0.zip", "--checksum", "c0ffee20", "--actor", "ci");
    }

    [Fact]
    public async Task A_release_pipeline_rolls_out_promotes_and_rolls_back_and_the_history_shows_it_newest_first()
    {
        await PublishWithBundleAsync();
        string[] channel = ["--app", App, "--channel", "production", "--actor", "ci"];
        await OkAsync(["rollout", "start", .. channel, "--bundle", "2.0.0", "--percent", "10"]);
        var set = JsonNode.Parse(await OkAsync(["rollout", "set", .. channel, "--percent", "50", "--json"]))!;
        Assert.True((bool)set["changed"]!);
        Assert.Equal(App, (string?)set["app_id"]);
        Assert.True((long)set["generation"]! > (long)set["generation_before"]!);
        // No edge is live here, so --wait returns at once; with --json standard output stays one JSON value.
        var promote = JsonNode.Parse(await OkAsync(["rollout", "promote", .. channel, "--wait", "--json"]))!;
        Assert.True((bool)promote["changed"]!);
        var preview = await OkAsync(["rollback", .. channel, "--dry-run"]);
        Assert.Contains("-       \"bundle\": \"2.0.0\"", preview, StringComparison.Ordinal);
        Assert.Contains("+       \"bundle\": \"1.4.0\"", preview, StringComparison.Ordinal);
        var rollback = await OkAsync(["rollback", .. channel]);
        Assert.Contains("rollback: com.demo.app generation", rollback, StringComparison.Ordinal);

        var history = JsonNode.Parse(await OkAsync("history", "--app", App, "--channel", "production", "--json"))!.AsArray();
        // The first publish created the channel: recorded too.
        Assert.Equal(["rollback", "rollout promote", "rollout set", "rollout start", "rollout abort", "channel add"], history.Select(e => (string)e!["operation"]!));
        Assert.All(history, e => Assert.Equal("ci", (string?)e!["actor"]));
        Assert.Equal(history.Select(e => (long)e!["generation"]!).OrderDescending(), history.Select(e => (long)e!["generation"]!));
        Assert.Equal(("2.0.0", "1.4.0"), ((string?)history[0]!["bundle_before"], (string?)history[0]!["bundle_after"]));
        Assert.Equal(5000, (int)history[2]!["rollout"]!["percentage_bps"]!);

        var channels = JsonNode.Parse(await OkAsync("channel", "list", "--app", App, "--json"))!.AsArray();
        var production = channels.Single(c => (string?)c!["name"] == "production")!;
        Assert.Equal("1.4.0", (string?)production["bundle"]);
        Assert.Null(production["rollout"]);
    }

    [Fact]
    public async Task Adding_a_bundle_again_changes_nothing_and_with_another_checksum_is_refused()
    {
        await PublishWithBundleAsync();
        var generation = await GenerationAsync();

        var again = await OkAsync("bundle", "add", "--app", App, "--name", "2.0.0", "--url", "https://cdn.example.com/2.0.0.zip", "--checksum", "c0ffee20");
        Assert.Contains("nothing changed", again, StringComparison.Ordinal);

        var (code, _, stderr) = await RunAsync("bundle", "add", "--app", App, "--name", "2.0.0", "--url", "https://cdn.example.com/2.0.0.zip", "--checksum", "deadbeef");
        Assert.Equal(2, code);
        Assert.Contains("checksum", stderr, StringComparison.Ordinal);
        Assert.Equal(generation, await GenerationAsync());
    }

    [Fact]
    public async Task A_stale_if_generation_is_refused_naming_both_generations_and_writes_nothing()
    {
        await PublishWithBundleAsync();
        var generation = await GenerationAsync();

        var (code, _, stderr) = await RunAsync("rollout", "start", "--app", App, "--channel", "production", "--bundle", "2.0.0", "--percent", "10", "--if-generation", $"{generation - 1}");
        Assert.Equal(2, code);
        Assert.Contains($"{generation}", stderr, StringComparison.Ordinal);
        Assert.Contains($"{generation - 1}", stderr, StringComparison.Ordinal);
        Assert.Equal(generation, await GenerationAsync());

        await OkAsync("rollout", "start", "--app", App, "--channel", "production", "--bundle", "2.0.0", "--percent", "10", "--if-generation", $"{generation}");
        Assert.NotEqual(generation, await GenerationAsync());
    }

    [Fact]
    public async Task A_dry_run_prints_the_diff_and_writes_nothing()
    {
        await PublishWithBundleAsync();
        var generation = await GenerationAsync();

        var stdout = await OkAsync("rollout", "start", "--app", App, "--channel", "production", "--bundle", "2.0.0", "--percent", "12.5", "--dry-run");
        Assert.Contains("nothing written", stdout, StringComparison.Ordinal);
        Assert.Contains("+         \"percentage_bps\": 1250", stdout, StringComparison.Ordinal);

        var json = JsonNode.Parse(await OkAsync("channel", "set", "--app", App, "--channel", "beta", "--bundle", "2.0.0", "--dry-run", "--json"))!;
        Assert.True((bool)json["dry_run"]!);
        Assert.Equal(generation, (long)json["generation"]!);
        Assert.Contains(json["diff"]!.AsArray(), line => ((string)line!).StartsWith("+ ", StringComparison.Ordinal) && ((string)line!).Contains("2.0.0", StringComparison.Ordinal));

        Assert.Equal(generation, await GenerationAsync());
        var production = JsonNode.Parse(await OkAsync("channel", "list", "--app", App, "--json"))!.AsArray().Single(c => (string?)c!["name"] == "production")!;
        Assert.Null(production["rollout"]);
    }

    [Theory]
    [InlineData("150")]
    [InlineData("-1")]
    [InlineData("12.345")]
    [InlineData("ten")]
    public async Task A_bad_percent_is_a_usage_error(string percent)
    {
        await PublishWithBundleAsync();
        var (code, _, stderr) = await RunAsync("rollout", "start", "--app", App, "--channel", "production", "--bundle", "2.0.0", "--percent", percent);
        Assert.Equal(1, code);
        Assert.Contains("--percent", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bad_policy_values_are_usage_errors()
    {
        await PublishWithBundleAsync();
        Assert.Equal(1, (await RunAsync("channel", "set", "--app", App, "--channel", "beta", "--ios", "yes")).Code);
        Assert.Equal(1, (await RunAsync("channel", "set", "--app", App, "--channel", "beta", "--disable-auto-update", "sometimes")).Code);
        Assert.Equal(1, (await RunAsync("channel", "set", "--app", App, "--channel", "beta", "--public", "--private")).Code);

        await OkAsync("channel", "add", "--app", App, "--channel", "qa", "--bundle", "2.0.0", "--private", "--self-assign", "on", "--disable-auto-update", "minor");
        var qa = JsonNode.Parse(await OkAsync("channel", "list", "--app", App, "--json"))!.AsArray().Single(c => (string?)c!["name"] == "qa")!;
        Assert.Equal(("2.0.0", false, true, "minor"), ((string?)qa["bundle"], (bool?)qa["public"], (bool?)qa["allow_device_self_set"], (string?)qa["disable_auto_update"]));
    }

    [Fact]
    public async Task A_policy_flag_changes_only_its_field_and_leaves_the_rest_of_the_channel_as_it_was()
    {
        await PublishWithBundleAsync();
        static JsonNode Production(string list) => JsonNode.Parse(list)!.AsArray().Single(c => (string?)c!["name"] == "production")!;
        var before = Production(await OkAsync("channel", "list", "--app", App, "--json"));

        await OkAsync("channel", "set", "--app", App, "--channel", "production", "--disable-auto-update", "none");

        var after = Production(await OkAsync("channel", "list", "--app", App, "--json"));
        Assert.Equal("none", (string?)after["disable_auto_update"]);
        Assert.Equal((bool?)before["public"], (bool?)after["public"]);
        Assert.Equal((bool?)before["allow_device_self_set"], (bool?)after["allow_device_self_set"]);
        Assert.True((bool?)after["public"]);
    }

    [Fact]
    public async Task Deleting_a_bundle_in_use_is_refused_and_an_unused_one_is_deleted()
    {
        await PublishWithBundleAsync();
        var (code, _, stderr) = await RunAsync("bundle", "delete", "--app", App, "--name", "1.4.0");
        Assert.Equal(2, code);
        Assert.Contains("in use by channel production", stderr, StringComparison.Ordinal);

        await OkAsync("bundle", "delete", "--app", App, "--name", "2.0.0");
        var bundles = JsonNode.Parse(await OkAsync("bundle", "list", "--app", App, "--json"))!.AsArray();
        Assert.DoesNotContain(bundles, b => (string?)b!["name"] == "2.0.0");
        Assert.Contains(bundles, b => (string?)b!["name"] == "1.4.0");
    }
}

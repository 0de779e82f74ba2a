using System.Text;
using System.Text.Json.Nodes;
using Capgo.Edge.Core;
using StackExchange.Redis;
using Capgo.Edge.Redis;
using Capgo.Edge.Tests.Support;

namespace Capgo.Edge.ControlPlane.Tests;

/// <summary>The capgo-edge command line against a real Redis: exit codes and messages.</summary>
public sealed class CliTests : IAsyncLifetime
{
    private RedisServer _redis = null!;
    private string _dir = null!;

    public async Task InitializeAsync()
    {
        _redis = await RedisServer.StartAsync();
        _dir = Directory.CreateTempSubdirectory("capgo-cli-").FullName;
    }

    public async Task DisposeAsync()
    {
        await _redis.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    private Task<(int Code, string Out, string Err)> RunAsync(params string[] args) => CliRun.RunAsync([.. args, "--redis", _redis.ConnectionString]);

    [Fact]
    public async Task Publish_inspect_override_delete_round_trip()
    {
        var file = Path.Combine(_dir, "app.json");
        await File.WriteAllBytesAsync(file, Documents.Sample());

        var (code, stdout, _) = await RunAsync("publish", file);
        Assert.Equal(0, code);
        Assert.Contains("published com.demo.app", stdout, StringComparison.Ordinal);

        (code, stdout, _) = await RunAsync("override", "set", "--app", Documents.AppId, "--device", Documents.AndroidDevice, "--channel", "beta");
        Assert.Equal(0, code);

        (code, stdout, _) = await RunAsync("inspect", "--app", Documents.AppId);
        Assert.Equal(0, code);
        Assert.Contains("channels:   beta, development, production", stdout, StringComparison.Ordinal);
        Assert.Contains("overrides:  2", stdout, StringComparison.Ordinal);

        (code, _, _) = await RunAsync("override", "remove", "--app", Documents.AppId, "--device", Documents.AndroidDevice);
        Assert.Equal(0, code);
        (code, _, _) = await RunAsync("delete", "--app", Documents.AppId);
        Assert.Equal(0, code);
        (code, _, var stderr) = await RunAsync("inspect", "--app", Documents.AppId);
        Assert.Equal(2, code);
        Assert.Contains("not published", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_bad_file_among_good_ones_publishes_nothing_and_names_file_and_field()
    {
        var good = Path.Combine(_dir, "good.json");
        var bad = Path.Combine(_dir, "bad.json");
        await File.WriteAllBytesAsync(good, Documents.Sample(appId: "com.good.app"));
        await File.WriteAllTextAsync(bad, """{"app_id":"com.bad.app","channels":[{"name":"p","public":true},{"name":"q","public":true}]}""");

        var (code, _, stderr) = await RunAsync("publish", good, bad);
        Assert.Equal(2, code);
        Assert.Contains("bad.json: channels[1].public", stderr, StringComparison.Ordinal);
        Assert.Contains("nothing was published", stderr, StringComparison.Ordinal);

        await using var mux = await ConnectionMultiplexer.ConnectAsync(_redis.ConnectionString);
        Assert.Empty(await mux.GetDatabase().SetMembersAsync(new RedisLayout().Apps));
    }

    [Fact]
    public async Task Wait_with_no_edge_lagging_succeeds_and_unknown_app_override_is_refused()
    {
        var file = Path.Combine(_dir, "app.json");
        await File.WriteAllBytesAsync(file, Documents.Sample());
        await using var edge = await TestEdge.StartAsync(new TestEdgeOptions { Redis = _redis.ConnectionString, Name = "cli-edge", WaitReady = true });
        var (code, stdout, _) = await RunAsync("publish", file, "--wait", "--timeout", "10s");
        Assert.Equal(0, code);
        Assert.Contains("served by all 1 live edges", stdout, StringComparison.Ordinal);

        (code, _, var stderr) = await RunAsync("override", "set", "--app", "com.unknown.app", "--device", Documents.AndroidDevice, "--channel", "beta");
        Assert.Equal(2, code);
        Assert.Contains("com.unknown.app is not published", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Usage_errors_and_unreachable_redis_have_their_own_exit_codes()
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        Assert.Equal(1, await Cli.CliApp.RunAsync(["override", "set", "--app", "com.a.b", "--redis", _redis.ConnectionString], output, error));
        Assert.Contains("--device is required", error.ToString(), StringComparison.Ordinal);
        Assert.Equal(4, await Cli.CliApp.RunAsync(["inspect", "--app", "com.a.b", "--redis", $"127.0.0.1:{RedisServer.FreePort()}"], output, error));
    }

    [Fact]
    public async Task Unknown_options_missing_values_and_bad_durations_are_usage_errors()
    {
        var file = Path.Combine(_dir, "app.json");
        await File.WriteAllBytesAsync(file, Documents.Sample());

        var (code, _, stderr) = await RunAsync("inspect", "--app", Documents.AppId, "--bogus");
        Assert.Equal(1, code);
        Assert.Contains("--bogus", stderr, StringComparison.Ordinal);

        (code, _, stderr) = await RunAsync("publish", file, "--bogus");
        Assert.Equal(1, code);
        Assert.Contains("--bogus", stderr, StringComparison.Ordinal);

        (code, _, stderr) = await RunAsync("publish", file, "--wait", "--timeout", "soon");
        Assert.Equal(1, code);
        Assert.Contains("'soon' is not a duration", stderr, StringComparison.Ordinal);

        using var output = new StringWriter();
        using var error = new StringWriter();
        Assert.Equal(1, await Cli.CliApp.RunAsync(["inspect", "--redis", _redis.ConnectionString, "--app"], output, error));
        Assert.Contains("--app", error.ToString(), StringComparison.Ordinal);

        await using var mux = await ConnectionMultiplexer.ConnectAsync(_redis.ConnectionString);
        Assert.Empty(await mux.GetDatabase().SetMembersAsync(new RedisLayout().Apps));
    }

    [Fact]
    public async Task Every_command_has_its_own_help()
    {
        var (code, stdout, _) = await RunAsync("publish", "--help");
        Assert.Equal(0, code);
        Assert.Contains("--wait", stdout, StringComparison.Ordinal);
        Assert.Contains("--timeout", stdout, StringComparison.Ordinal);

        (code, stdout, _) = await RunAsync("override", "set", "--help");
        Assert.Equal(0, code);
        Assert.Contains("--channel", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Show_prints_a_document_that_publishes_back_to_the_same_app()
    {
        var file = Path.Combine(_dir, "app.json");
        await File.WriteAllBytesAsync(file, Documents.Sample());
        Assert.Equal(0, (await RunAsync("publish", file)).Code);
        Assert.Equal(0, (await RunAsync("override", "set", "--app", Documents.AppId, "--device", Documents.AndroidDevice, "--channel", "beta")).Code);

        var (code, shown, _) = await RunAsync("show", "--app", Documents.AppId);
        Assert.Equal(0, code);
        var shownFile = Path.Combine(_dir, "shown.json");
        await File.WriteAllTextAsync(shownFile, shown);
        Assert.Equal(0, (await RunAsync("publish", shownFile)).Code);
        var (_, shownAgain, _) = await RunAsync("show", "--app", Documents.AppId);

        var original = AppDocument.Parse(Documents.Sample(), 0);
        var first = AppDocument.Parse(Encoding.UTF8.GetBytes(shown), 0);
        var second = AppDocument.Parse(Encoding.UTF8.GetBytes(shownAgain), 0);
        Assert.Equal(EdgeView(original), EdgeView(first));
        Assert.Equal(EdgeView(first), EdgeView(second));
        Assert.True(first.Overrides.TryGet(Documents.AndroidDevice, out var pinned));
        Assert.Equal("beta", pinned);
        Assert.Equal(Overrides(first), Overrides(second));
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(shown), JsonNode.Parse(shownAgain)));

        (code, _, var stderr) = await RunAsync("show", "--app", "com.unknown.app");
        Assert.Equal(2, code);
        Assert.Contains("not published", stderr, StringComparison.Ordinal);
    }

    // What an edge answers from: the app's status, bundles and channels.
    private static string EdgeView(AppSnapshot app) => string.Join('\n', [
        $"{app.AppId} {app.Status}",
        .. app.Bundles.Values.OrderBy(static b => b.Name, StringComparer.Ordinal)
            .Select(static b => $"bundle {b.Name} {b.Url} {b.Checksum} {b.Deleted} {b.Manifest.Count}"),
        .. app.Channels.Select(static c =>
            $"channel {c.Name} {c.Bundle?.Name} {c.IsPublic} {c.Ios} {c.Android} {c.Electron} {c.DisableAutoUpdate} {c.Rollout is null}"),
    ]);

    private static string Overrides(AppSnapshot app) =>
        string.Join(',', app.Overrides.Entries.OrderBy(static e => e.Key, StringComparer.Ordinal).Select(static e => $"{e.Key}={e.Value}"));
}

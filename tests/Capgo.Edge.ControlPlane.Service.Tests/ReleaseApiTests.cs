using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Capgo.Edge.Tests.Support;

namespace Capgo.Edge.ControlPlane.Service.Tests;

/// <summary>
/// Releasing through the control-plane service's API with a per-app key: the same capgo-edge commands
/// with <c>--api</c> instead of <c>--redis</c>, and the refusals (no key, a wrong, revoked or foreign
/// key, a stale generation, a malformed request) that change nothing.
/// </summary>
public sealed class ReleaseApiTests : IAsyncLifetime
{
    private const string App = Documents.AppId;
    private RedisServer _redis = null!;
    private TestEdge _edge = null!;
    private TestService _service = null!;
    private string _dir = null!;
    private string _key = null!;

    public async Task InitializeAsync()
    {
        _redis = await RedisServer.StartAsync();
        _edge = await TestEdge.StartAsync(new TestEdgeOptions { Redis = _redis.ConnectionString, Name = "edge-1", WaitReady = false });
        _service = await TestService.StartAsync(_redis.ConnectionString);
        _dir = Directory.CreateTempSubdirectory("capgo-release-api-").FullName;
        var file = Path.Combine(_dir, "app.json");
        await File.WriteAllBytesAsync(file, Documents.Sample());
        Assert.Equal(0, (await RedisCliAsync("publish", file)).Code);
        var created = await RedisCliAsync("key", "create", "--app", App, "--name", "github-actions");
        Assert.Equal(0, created.Code);
        _key = created.Out.Trim();
        Assert.StartsWith("cek_", _key, StringComparison.Ordinal);
    }

    public async Task DisposeAsync()
    {
        await _service.DisposeAsync();
        await _edge.DisposeAsync();
        await _redis.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    private static Task<(int Code, string Out, string Err)> RunAsync(params string[] args) => CliRun.RunAsync(args);

    private Task<(int Code, string Out, string Err)> RedisCliAsync(params string[] args) => RunAsync([.. args, "--redis", _redis.ConnectionString]);

    private Task<(int Code, string Out, string Err)> ApiAsync(string key, params string[] args) =>
        RunAsync([.. args, "--api", _service.Http.BaseAddress!.ToString(), "--api-key", key]);

    private Task<string> OkAsync(params string[] args) => CliRun.OkAsync([.. args, "--api", _service.Http.BaseAddress!.ToString(), "--api-key", _key]);

    private async Task<long> GenerationAsync()
    {
        await using var mux = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(_redis.ConnectionString);
        return (long)await mux.GetDatabase().HashGetAsync(new Redis.RedisLayout().App(App), "gen");
    }

    [Fact]
    public async Task A_pipeline_releases_through_the_api_with_an_app_key_and_the_history_names_the_key()
    {
        string[] production = ["--app", App, "--channel", "production"];
        await OkAsync(["rollout", "abort", .. production]);
        await OkAsync("bundle", "add", "--app", App, "--name", "2.0.0", "--url", "https://cdn.example.com/2.0.0.zip", "--checksum", "c0ffee20");
        await OkAsync(["channel", "set", .. production, "--disable-auto-update", "none"]);
        await OkAsync(["rollout", "start", .. production, "--bundle", "2.0.0", "--percent", "10", "--wait"]);
        await OkAsync(["rollout", "promote", .. production, "--wait"]);
        Assert.Equal("2.0.0", await OfferedAsync());
        await OkAsync(["rollback", .. production, "--wait"]);
        Assert.Equal("1.4.0", await OfferedAsync());

        var history = JsonNode.Parse(await OkAsync("history", "--app", App, "--channel", "production", "--json"))!.AsArray();
        // A policy change (channel set) moves no bundle: the channel's history does not list it.
        Assert.Equal(["rollback", "rollout promote", "rollout start", "rollout abort", "channel add"], history.Select(static e => (string)e!["operation"]!));
        Assert.All(history.Take(4), static e => Assert.Equal("github-actions", (string?)e!["actor"]));
        var shown = JsonNode.Parse(await OkAsync("show", "--app", App))!;
        Assert.NotNull(shown["device_overrides"]);
    }

    [Fact]
    public async Task Missing_wrong_revoked_or_foreign_keys_and_a_stale_generation_are_refused_and_change_nothing()
    {
        var before = await GenerationAsync();
        string[] write = ["rollout", "pause", "--app", App, "--channel", "production"];

        var (code, _, err) = await RunAsync([.. write, "--api", _service.Http.BaseAddress!.ToString()]);
        Assert.Equal(1, code);
        Assert.Contains("no API key", err, StringComparison.Ordinal);

        (code, _, err) = await ApiAsync("cek_not-a-real-key-at-all", write);
        Assert.Equal(2, code);
        Assert.Contains("unknown or revoked", err, StringComparison.Ordinal);

        var other = (await RedisCliAsync("key", "create", "--app", "com.other.app")).Out.Trim();
        (code, _, err) = await ApiAsync(other, write);
        Assert.Equal(2, code);
        Assert.Contains("does not grant app com.demo.app", err, StringComparison.Ordinal);

        (code, _, err) = await ApiAsync(_key, [.. write, "--if-generation", (before - 1).ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        Assert.Equal(2, code);
        Assert.Contains($"is at generation {before}", err, StringComparison.Ordinal);

        // The key worked a moment ago (its verification is cached); revoked, it is refused from the next call.
        Assert.Equal(0, (await ApiAsync(_key, "show", "--app", App)).Code);
        Assert.Equal(0, (await RedisCliAsync("key", "revoke", "--app", App, "--key", "github-actions")).Code);
        await Eventually.TrueAsync(async () => (await ApiAsync(_key, "show", "--app", App)).Code == 2, "the revocation to reach the service");
        (code, _, err) = await ApiAsync(_key, write);
        Assert.Equal(2, code);
        Assert.Contains("unknown or revoked", err, StringComparison.Ordinal);

        Assert.Equal(before, await GenerationAsync());
    }

    [Fact]
    public async Task The_http_routes_answer_in_the_transcoders_one_error_shape()
    {
        using var anonymous = await _service.Http.GetAsync($"v1/apps/{App}/document");
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.NotNull(JsonNode.Parse(await anonymous.Content.ReadAsStringAsync())!["message"]);

        using var get = new HttpRequestMessage(HttpMethod.Get, $"v1/apps/{App}/document");
        get.Headers.Add("x-api-key", _key);
        using var document = await _service.Http.SendAsync(get);
        Assert.Equal(HttpStatusCode.OK, document.StatusCode);
        var reply = JsonNode.Parse(await document.Content.ReadAsStringAsync())!;
        Assert.Equal(App, (string?)JsonNode.Parse((string)reply["documentJson"]!)!["app_id"]);

        using var put = new HttpRequestMessage(HttpMethod.Put, $"v1/apps/{App}/document") { Content = new StringContent("""{"documentJson":"{not json","ifGeneration":"1"}""", Encoding.UTF8, "application/json") };
        put.Headers.Add("x-api-key", _key);
        using var bad = await _service.Http.SendAsync(put);
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("not JSON", (string?)JsonNode.Parse(await bad.Content.ReadAsStringAsync())!["message"], StringComparison.Ordinal);
    }

    private async Task<string> OfferedAsync()
    {
        var body = (Dictionary<string, object>)Documents.AndroidCheck("0b6a3d1e-0000-4000-8000-000000000001");
        body.Remove("defaultChannel");
        var (_, reply) = await _edge.CheckAsync(body);
        return reply.TryGetProperty("error", out var error) ? error.GetString()! : reply.GetProperty("version").GetString()!;
    }
}

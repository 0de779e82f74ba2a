using System.Text.Json;
using System.Text.Json.Nodes;
using Capgo.Edge.Server.Plugin;
using Capgo.Edge.Tests.Support;
using static Capgo.Edge.Server.Tests.Stats.StatsBodies;

namespace Capgo.Edge.Server.Tests.Stats;

/// <summary>Every reply of <c>/stats</c> (plugin-endpoints.md) over HTTP against a Redis-mode edge.</summary>
public sealed class StatsReplyTests(StatsFixture fixture) : IClassFixture<StatsFixture>
{
    private const string Semver = "doesn't follow semver convention, please check https://capgo.app/semver_tester/ to learn more about semver usage in Capgo";

    private TestEdge Edge => fixture.Edge;

    [Fact]
    public async Task Single_event_is_ok()
    {
        var (status, text, _) = await Edge.PostAsync(Event(NewDevice()));
        Assert.Equal(200, status);
        Assert.Equal("""{"status":"ok"}""", text);
    }

    [Fact]
    public async Task Get_stats_is_ok()
    {
        using var response = await Edge.Http.GetAsync("/stats");
        Assert.Equal(200, (int)response.StatusCode);
        Assert.Equal("""{"status":"ok"}""", await response.Content.ReadAsStringAsync());
        Assert.StartsWith("application/json", response.Content.Headers.ContentType!.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Batch_lists_each_event_with_its_index()
    {
        var device = NewDevice();
        var batch = Batch(
            Event(device, "download_10"),
            Event(device, "not_an_action"),
            Event(device, "download_complete").With("version_build", "x.y"),
            Event(device, "set").Without("device_id"),
            Event(device, "app_crash"));
        var (status, text, _) = await Edge.PostAsync(batch);
        Assert.Equal(200, status);
        var expected = new JsonObject
        {
            ["status"] = "ok",
            ["results"] = new JsonArray(
                new JsonObject { ["status"] = "ok", ["index"] = 0 },
                new JsonObject { ["status"] = "error", ["error"] = "invalid_json_body", ["message"] = StatsActions.ErrorMessage, ["index"] = 1 },
                new JsonObject { ["status"] = "error", ["error"] = "semver_error", ["message"] = $"Native version: x.y {Semver}", ["index"] = 2 },
                new JsonObject { ["status"] = "error", ["error"] = "missing_device_id", ["message"] = "Cannot find device_id", ["index"] = 3 },
                new JsonObject { ["status"] = "ok", ["index"] = 4 }),
        };
        Assert.True(JsonNode.DeepEquals(expected, JsonNode.Parse(text)), text);
    }

    [Fact]
    public async Task Empty_batch_is_ok_with_no_results()
    {
        var (status, text, _) = await Edge.PostAsync("[]");
        Assert.Equal(200, status);
        Assert.Equal("""{"status":"ok","results":[]}""", text);
    }

    [Fact]
    public async Task Batch_with_several_apps_is_refused_whole()
    {
        var device = NewDevice();
        var before = Edge.Events.Enqueued + Edge.Events.Dropped;
        var (status, text, _) = await Edge.PostAsync(Batch(Event(device), Event(device, appId: "com.other.app")));
        Assert.Equal(200, status);
        Assert.Equal("""{"error":"mixed_app_ids","message":"All events in a batch must have the same app_id"}""", text);
        Assert.Equal(before, Edge.Events.Enqueued + Edge.Events.Dropped);

        // The app id is case-insensitive: the same app in another case is not mixed.
        (status, text, _) = await Edge.PostAsync(Batch(Event(device), Event(device, appId: "COM.Demo.App")));
        Assert.Equal(200, status);
        Assert.Equal("""{"status":"ok","results":[{"status":"ok","index":0},{"status":"ok","index":1}]}""", text);
    }

    public static TheoryData<string> BadFirstEvents() => new()
    {
        """[{"device_id":"6f1c2b9a-4d3e-4a5b-9c8d-7e6f5a4b3c2d","platform":"ios","version_name":"1.0.0","version_os":"17"}]""",
        """[{"app_id":"[appid]","device_id":"6f1c2b9a-4d3e-4a5b-9c8d-7e6f5a4b3c2d"}]""",
        """[{"app_id":42}]""",
        """[{"app_id":"eeforgrdemoapp"},{"app_id":"com.demo.app"}]""",
        """[null,{"app_id":"com.demo.app"}]""",
        """["com.demo.app"]""",
        """[[]]""",
    };

    [Theory]
    [MemberData(nameof(BadFirstEvents))]
    public async Task Batch_whose_first_event_has_no_valid_app_id_is_400(string body)
    {
        var (status, _, json) = await Edge.PostAsync(body);
        Assert.Equal(400, status);
        Assert.Equal("invalid_app_id", json.GetProperty("error").GetString());
        Assert.False(string.IsNullOrEmpty(json.GetProperty("message").GetString()));
        Assert.Equal(JsonValueKind.Object, json.GetProperty("moreInfo").ValueKind);
    }

    [Fact]
    public async Task Unknown_action_is_400_listing_the_known_ones()
    {
        foreach (var action in new[] { "download_100", "download_5", "Ping", "", "download" })
        {
            var (status, _, json) = await Edge.PostAsync(Event(NewDevice(), action));
            Assert.Equal(400, status);
            Assert.Equal("invalid_json_body", json.GetProperty("error").GetString());
            var message = json.GetProperty("message").GetString()!;
            Assert.StartsWith("action must be one of: ", message, StringComparison.Ordinal);
            Assert.Contains("download_0, download_complete", message, StringComparison.Ordinal);
            Assert.EndsWith("webview_page_loaded", message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Every_known_action_is_accepted_and_nothing_else_is_listed()
    {
        var expected = new List<string>
        {
            "ping", "delete", "reset", "set", "get", "set_fail", "update_fail", "download_fail", "windows_path_fail",
            "canonical_path_fail", "directory_path_fail", "unzip_fail", "low_mem_fail", "download_complete",
            "download_manifest_start", "download_manifest_complete", "download_zip_start", "download_zip_complete",
            "download_manifest_file_fail", "download_manifest_checksum_fail", "download_manifest_brotli_fail",
            "finish_download_fail", "manifest_path_fail", "decrypt_fail", "checksum_required", "insufficient_disk_space",
            "uninstall", "checksum_fail", "set_next", "os_version_changed", "native_app_version_changed",
            "app_moved_to_foreground", "app_moved_to_background", "app_launch_start", "app_launch_ready",
            "app_launch_timeout", "app_crash", "app_crash_native", "app_anr", "app_killed_low_memory",
            "app_killed_excessive_resource_usage", "app_initialization_failure", "app_memory_warning",
            "webview_javascript_error", "webview_unhandled_rejection", "webview_resource_error",
            "webview_security_policy_violation", "webview_unclean_restart", "webview_render_process_gone",
            "webview_content_process_terminated", "webview_dom_content_loaded", "webview_page_loaded",
        };
        for (var step = 0; step <= 90; step += 10)
        {
            expected.Add($"download_{step}");
        }

        Assert.Equal(expected.Order(StringComparer.Ordinal), StatsActions.All.Order(StringComparer.Ordinal));

        var device = NewDevice();
        var (status, _, json) = await Edge.PostAsync(Batch([.. expected.Select(a => Event(device, a))]));
        Assert.Equal(200, status);
        Assert.All(json.GetProperty("results").EnumerateArray(), r => Assert.Equal("ok", r.GetProperty("status").GetString()));
        Assert.Equal(expected.Count, json.GetProperty("results").GetArrayLength());
    }

    [Theory]
    [InlineData("x.y")]
    [InlineData("1.02.3")]
    [InlineData("1.2.3.4")]
    [InlineData("abc")]
    public async Task Bad_version_build_is_a_semver_error(string versionBuild)
    {
        var (status, text, json) = await Edge.PostAsync(Event(NewDevice()).With("version_build", versionBuild));
        Assert.Equal(400, status);
        Assert.Equal("semver_error", json.GetProperty("error").GetString());
        Assert.Equal($"Native version: {versionBuild} {Semver}", json.GetProperty("message").GetString());
        Assert.True(json.TryGetProperty("moreInfo", out _), text);
    }

    [Theory]
    [InlineData("1.0")]
    [InlineData("2")]
    [InlineData("v1.2.3")]
    [InlineData("builtin")]
    [InlineData("")]
    public async Task Version_build_that_normalises_is_accepted(string versionBuild)
    {
        var (status, _, _) = await Edge.PostAsync(Event(NewDevice()).With("version_build", versionBuild));
        Assert.Equal(200, status);
    }

    [Fact]
    public async Task Unknown_or_inactive_app_is_429_on_premise()
    {
        const string expected = """{"error":"on_premise_app","message":"On-premise app detected"}""";
        foreach (var appId in new[] { "com.unknown.app", StatsSamples.InactiveAppId })
        {
            var (status, text, _) = await Edge.PostAsync(Event(NewDevice(), appId: appId));
            Assert.Equal(429, status);
            Assert.Equal(expected, text);

            (status, text, _) = await Edge.PostAsync(Batch(Event(NewDevice(), appId: appId), Event(NewDevice(), appId: appId)));
            Assert.Equal(429, status);
            Assert.Equal(expected, text);
        }
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("{")]
    [InlineData("{\"app_id\":\"com.demo.app\",}")]
    [InlineData("")]
    [InlineData("{} {}")]
    [InlineData("{\"app_id\":\"\\ud800\"}")]
    public async Task Body_that_is_not_json_is_400_invalid_json_parse_body(string body)
    {
        var (status, _, json) = await Edge.PostAsync(body);
        Assert.Equal(400, status);
        AssertErrorShape(json, "invalid_json_parse_body");
        Assert.Equal("Invalid JSON body", json.GetProperty("message").GetString());
    }

    [Fact]
    public async Task Invalid_utf8_is_400_invalid_json_parse_body()
    {
        var (status, _, json) = await Edge.PostBytesAsync([(byte)'{', (byte)'"', 0xC3, 0x28, (byte)'"', (byte)':', (byte)'1', (byte)'}']);
        Assert.Equal(400, status);
        AssertErrorShape(json, "invalid_json_parse_body");
    }

    [Fact]
    public async Task Too_deep_nesting_is_400_not_5xx()
    {
        var (status, _, json) = await Edge.PostAsync(new string('[', 200) + new string(']', 200));
        Assert.Equal(400, status);
        AssertErrorShape(json, "invalid_json_parse_body");
    }

    [Fact]
    public async Task Wrong_types_are_400_with_the_issues_listed()
    {
        var body = Event(NewDevice())
            .With("platform", 3)
            .With("is_emulator", "yes")
            .With("is_prod", 1)
            .With("version_os", new JsonArray())
            .With("metadata", "x");
        var (status, _, json) = await Edge.PostAsync(body);
        Assert.Equal(400, status);
        AssertErrorShape(json, "invalid_json_body");
        Assert.Equal("Cannot parse body", json.GetProperty("message").GetString());
        Assert.Equal(["platform", "version_os", "is_emulator", "is_prod", "metadata"], IssuePaths(json));
    }

    [Fact]
    public async Task Missing_required_fields_are_reported_in_order()
    {
        var (status, _, json) = await Edge.PostAsync("{}");
        Assert.Equal(400, status);
        AssertErrorShape(json, "invalid_json_body");

        (status, _, json) = await Edge.PostAsync(Event(NewDevice()).Without("device_id"));
        Assert.Equal(400, status);
        AssertErrorShape(json, "missing_device_id");

        (status, _, json) = await Edge.PostAsync(Event(NewDevice()).Without("app_id"));
        Assert.Equal(400, status);
        AssertErrorShape(json, "missing_app_id");

        (status, _, json) = await Edge.PostAsync(Event("not-a-uuid").With("app_id", "eeforgrdemoapp").Without("version_os").Without("platform").Without("version_name"));
        Assert.Equal(400, status);
        AssertErrorShape(json, "invalid_json_body");
        Assert.Equal(["app_id", "device_id", "platform", "version_name", "version_os"], IssuePaths(json));

        // version_name may be empty; platform is any string.
        (status, _, _) = await Edge.PostAsync(Event(NewDevice()).With("version_name", "").With("platform", "windows"));
        Assert.Equal(200, status);
    }

    [Fact]
    public async Task Field_limits_are_enforced()
    {
        var tooMany = new JsonObject();
        for (var i = 0; i < 31; i++)
        {
            tooMany[$"k{i}"] = "v";
        }

        var limits = new (string Field, JsonNode Bad, JsonNode Good)[]
        {
            ("custom_id", new string('c', 37), new string('c', 36)),
            ("key_id", new string('k', 21), new string('k', 20)),
            ("install_source", " " + new string('S', 65) + " ", "  " + new string('S', 64) + "  "),
            ("metadata", tooMany, new JsonObject { ["a"] = "b" }),
            ("metadata", new JsonObject { [new string('k', 65)] = "v" }, new JsonObject { [new string('k', 64)] = "v" }),
            ("metadata", new JsonObject { ["k"] = new string('v', 2049) }, new JsonObject { ["k"] = new string('v', 2048) }),
            ("metadata", new JsonObject { ["k"] = 1 }, new JsonObject()),
            ("metadata", new JsonObject { ["k"] = null }, new JsonObject { ["k"] = "" }),
        };
        foreach (var (field, bad, good) in limits)
        {
            var (status, text, json) = await Edge.PostAsync(Event(NewDevice()).With(field, bad.DeepClone()));
            Assert.True(status == 400, $"{field}={bad.ToJsonString()[..Math.Min(40, bad.ToJsonString().Length)]}: {status} {text}");
            AssertErrorShape(json, "invalid_json_body");
            Assert.Equal([field], IssuePaths(json));

            (status, text, _) = await Edge.PostAsync(Event(NewDevice()).With(field, good.DeepClone()));
            Assert.True(status == 200, $"{field} good: {status} {text}");
        }
    }

    [Fact]
    public async Task Body_over_the_limit_is_413()
    {
        var big = Event(NewDevice()).With("version_name", new string('x', 70 * 1024));
        var (status, _, json) = await Edge.PostAsync(big);
        Assert.Equal(413, status);
        AssertErrorShape(json, "payload_too_large");

        // Chunked, with no declared length.
        using var content = new StreamContent(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(big.ToJsonString())));
        using var request = new HttpRequestMessage(HttpMethod.Post, "/stats") { Content = content };
        request.Headers.TransferEncodingChunked = true;
        using var response = await Edge.Http.SendAsync(request);
        Assert.Equal(413, (int)response.StatusCode);
    }

    public static TheoryData<string> BadBodies()
    {
        var device = Guid.NewGuid().ToString();
        var valid = Event(device).ToJsonString();
        var data = new TheoryData<string>
        {
            "null", "true", "1", "\"x\"", "[1]", "[null]", "[{}]", "[[], {}]", "{\"app_id\":null}", "{\"device_id\":null,\"app_id\":null}",
            "{\"app_id\":{},\"device_id\":[]}", "{\"app_id\":1e400}", "{\"metadata\":{\"a\":{\"b\":{}}}}", "[" + valid + ",1,\"x\",null,[]]",
            "[" + valid + ",{\"app_id\":1}]", "[" + valid + ",{}]", "{\"__proto__\":{}}", "{\"app_id\":\"com.demo.app\",\"app_id\":\"x\"}",
            "\uFEFF" + valid, valid + "\n", "  " + valid, "[" + valid + "]" + "]", "{\"device_id\":\"" + new string('a', 5000) + "\"}",
            "{\"app_id\":\"com.demo.app\",\"device_id\":\"" + device + "\",\"action\":{\"x\":1}}",
            "{\"app_id\":\"com.demo.app\",\"device_id\":\"" + device + "\",\"metadata\":[\"a\"]}",
            "{\"app_id\":\"com.demo.app\",\"device_id\":\"" + device + "\",\"is_emulator\":null,\"is_prod\":null}",
            "{\"a\":\"\\u0000\"}", "[" + string.Join(',', Enumerable.Repeat("{}", 1000)) + "]",
            "[" + valid + "," + string.Join(',', Enumerable.Repeat("{}", 15000)) + "]",
        };
        return data;
    }

    [Theory]
    [MemberData(nameof(BadBodies))]
    public async Task No_body_gets_a_5xx(string body)
    {
        var (status, text, json) = await Edge.PostAsync(body);
        Assert.True(status is >= 200 and < 500, $"{status}: {text}");
        Assert.True(json.ValueKind == JsonValueKind.Object, text);
        if (status >= 400)
        {
            Assert.True(json.TryGetProperty("error", out _) && json.TryGetProperty("message", out _), text);
        }
    }

    private static void AssertErrorShape(JsonElement json, string code)
    {
        Assert.Equal(JsonValueKind.Object, json.ValueKind);
        Assert.Equal(code, json.GetProperty("error").GetString());
        Assert.Equal(JsonValueKind.String, json.GetProperty("message").ValueKind);
        Assert.Equal(JsonValueKind.Object, json.GetProperty("moreInfo").ValueKind);
    }

    private static string[] IssuePaths(JsonElement json) =>
        [.. json.GetProperty("moreInfo").GetProperty("issues").EnumerateArray().Select(static i => i.GetProperty("path")[0].GetString()!)];
}

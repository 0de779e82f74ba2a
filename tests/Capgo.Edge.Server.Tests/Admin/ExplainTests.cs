using System.Net;
using System.Text.Json.Nodes;
using Capgo.Edge.Core;
using Capgo.Edge.Server.Tests.ChannelSelf;
using Capgo.Edge.Server.Tests.Infrastructure;
using Capgo.Edge.Tests.Support;
using Microsoft.Extensions.Options;
using static Capgo.Edge.Server.Tests.ChannelSelf.PluginApps;

namespace Capgo.Edge.Server.Tests.Admin;

/// <summary>An edge with the admin endpoint on a port of its own, on the sample app and the explain app.</summary>
public sealed class ExplainFixture : IAsyncLifetime, IDisposable
{
    public const string ApiKey = "test-admin-key-0123456789";

    private readonly TempDirectory _directory = new();
    private TestEdge? _edge;

    internal TestEdge Edge => _edge ?? throw new InvalidOperationException("The edge is not started");

    internal HttpClient Admin { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var adminPort = RedisServer.FreePort();
        _edge = await StartEdgeAsync(
            _directory,
            [Sample(), ExplainTests.ExplainApp()],
            $"--Kestrel:Endpoints:Admin:Url=http://127.0.0.1:{adminPort}",
            $"--Admin:ApiKey={ApiKey}");
        Admin = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{adminPort}"), Timeout = TimeSpan.FromSeconds(30) };
    }

    public async Task DisposeAsync()
    {
        Admin?.Dispose();
        if (_edge is not null)
        {
            await _edge.DisposeAsync();
        }
    }

    public void Dispose() => _directory.Dispose();
}

/// <summary><c>POST /updates/explain</c> on the admin endpoint: the decision and the path to it.</summary>
public sealed class ExplainTests : IClassFixture<ExplainFixture>
{
    public const string ExplainAppId = "com.explain.app";

    /// <summary>Pinned (in the document) to <c>ios-only</c>, a private channel that is off for Android.</summary>
    public const string IosOnlyDevice = "11111111-1111-4111-8111-111111111111";

    private const string ExplainPath = "/updates/explain";
    private const string RolloutId = "production-1.5.0";
    private const int RolloutShare = 2500;

    private static readonly string[] PolicyNames =
        ["platform", "disable_auto_update", "disable_auto_update_under_native", "allow_prod", "allow_dev", "allow_device", "allow_emulator"];

    private readonly ExplainFixture _fixture;
    private readonly TestEdge _edge;

    public ExplainTests(ExplainFixture fixture)
    {
        _fixture = fixture;
        _edge = fixture.Edge;
    }

    public static JsonObject ExplainApp()
    {
        static JsonObject SelfSet(string name, string? bundle, params (string Key, JsonNode Value)[] extra)
        {
            var channel = new JsonObject { ["name"] = name, ["public"] = false, ["allow_device_self_set"] = true };
            if (bundle is not null)
            {
                channel["bundle"] = bundle;
            }

            foreach (var (key, value) in extra)
            {
                channel[key] = value;
            }

            return channel;
        }

        var metadataBundle = Bundle(ExplainAppId, "1.5.0");
        metadataBundle["min_update_version"] = "1.3.0";
        return new JsonObject
        {
            ["app_id"] = ExplainAppId,
            ["status"] = "active",
            ["bundles"] = new JsonArray { Bundle(ExplainAppId, "1.3.1"), Bundle(ExplainAppId, "1.4.0"), Bundle(ExplainAppId, "2.0.0"), metadataBundle },
            ["channels"] = new JsonArray
            {
                new JsonObject { ["name"] = "production", ["bundle"] = "1.4.0", ["public"] = true, ["electron"] = false },
                new JsonObject { ["name"] = "ios-only", ["bundle"] = "1.4.0", ["android"] = false, ["electron"] = false },
                SelfSet("next", "2.0.0"),
                SelfSet("old", "1.3.1"),
                SelfSet("metadata", "1.5.0", ("disable_auto_update", "version_number")),
                SelfSet("no-dev", "1.4.0", ("allow_dev", false)),
                SelfSet("no-device", "1.4.0", ("allow_device", false)),
                SelfSet("no-emulator", "1.4.0", ("allow_emulator", false)),
                SelfSet("builtin", null),
            },
            ["device_overrides"] = new JsonObject { [IosOnlyDevice] = "ios-only" },
        };
    }

    private static async Task<HttpReply> ExplainRawAsync(HttpClient client, JsonObject body, string? key)
    {
        using var content = new StringContent(body.ToJsonString(), System.Text.Encoding.UTF8, "application/json");
        using var request = new HttpRequestMessage(HttpMethod.Post, ExplainPath) { Content = content };
        if (key is not null)
        {
            request.Headers.Add("x-api-key", key);
        }

        var response = await client.SendAsync(request);
        return new HttpReply(response.StatusCode, response.Content.Headers.ContentType?.MediaType, await response.Content.ReadAsByteArrayAsync(), response);
    }

    private async Task<JsonObject> ExplainAsync(JsonObject body)
    {
        var reply = await ExplainRawAsync(_fixture.Admin, body, ExplainFixture.ApiKey);
        Assert.True(reply.Status == HttpStatusCode.OK, $"explain: {reply}");
        return reply.Json();
    }

    /// <summary>Explains the body, checks the explained reply is what <c>/updates</c> answers, and returns the explanation.</summary>
    private async Task<JsonObject> ExplainAndCompareAsync(JsonObject body)
    {
        var explained = await ExplainAsync(body);
        var actual = await _edge.PostUpdatesAsync(body);
        Assert.Equal((int)actual.Status, (int)explained["status"]!);
        Assert.Null(explained["throttled_retry_after_seconds"]);
        JsonTree.AssertEqual(JsonNode.Parse(actual.Body), explained["reply"]);
        Assert.Equal(actual.Generation, (long?)explained["generation"]);
        return explained;
    }

    private static void AssertPolicies(JsonObject explained, int blockedAt, string? code = null, bool reached = true, bool versionChecksSkipped = false)
    {
        var policies = Assert.IsType<JsonArray>(explained["policies"]);
        Assert.Equal(PolicyNames, policies.Select(p => (string)p!["policy"]!));
        for (var i = 0; i < policies.Count; i++)
        {
            var expected = !reached ? "not_reached"
                : i == blockedAt ? "blocked"
                : blockedAt >= 0 && i > blockedAt ? "not_reached"
                : versionChecksSkipped && i is 1 or 2 ? "skipped"
                : "passed";
            Assert.True(expected == (string)policies[i]!["result"]!, $"policy {PolicyNames[i]}: expected {expected}, got {policies.ToJsonString()}");
            Assert.Equal(i == blockedAt ? code : null, (string?)policies[i]!["code"]);
        }
    }

    private static string Source(JsonObject explained) => (string)explained["channel"]!["source"]!;

    private static string Chosen(JsonObject explained) => (string)explained["channel"]!["chosen"]!;

    // ---------- access ----------

    [Fact]
    public async Task Without_a_key_or_with_a_wrong_one_the_answer_is_401()
    {
        var body = Body(NewPlugin, NewDevice());
        foreach (var key in new[] { null, "", "wrong", ExplainFixture.ApiKey.ToUpperInvariant(), ExplainFixture.ApiKey + "x", ExplainFixture.ApiKey[..^1] })
        {
            var reply = await ExplainRawAsync(_fixture.Admin, body, key);
            Assert.True(reply.Status == HttpStatusCode.Unauthorized, $"key '{key}': {reply}");
            Assert.Equal("unauthorized", (string)reply.Json()["error"]!);
        }
    }

    [Fact]
    public async Task On_the_main_port_there_is_no_explain_even_with_the_key()
    {
        var reply = await ExplainRawAsync(_edge.Http, Body(NewPlugin, NewDevice()), ExplainFixture.ApiKey);
        Assert.Equal(HttpStatusCode.NotFound, reply.Status);
        Assert.Empty(reply.Body);

        // The admin port answers the same request.
        Assert.Equal(HttpStatusCode.OK, (await ExplainRawAsync(_fixture.Admin, Body(NewPlugin, NewDevice()), ExplainFixture.ApiKey)).Status);
    }

    [Fact]
    public async Task Explain_is_off_by_default()
    {
        using var directory = new TempDirectory();
        await using var edge = await StartEdgeAsync(directory, [Sample()]);

        foreach (var key in new[] { null, ExplainFixture.ApiKey })
        {
            var reply = await ExplainRawAsync(edge.Http, Body(NewPlugin, NewDevice()), key);
            Assert.Equal(HttpStatusCode.NotFound, reply.Status);
        }

        // The update check itself is there.
        Assert.Equal(HttpStatusCode.OK, (await edge.PostUpdatesAsync(Body(NewPlugin, NewDevice()))).Status);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("too-short-key")]
    [InlineData("fifteen-chars!!")]
    public async Task An_admin_endpoint_without_a_proper_key_refuses_to_start(string? key)
    {
        using var directory = new TempDirectory();
        List<string> args =
        [
            $"--Kestrel:Endpoints:Admin:Url=http://127.0.0.1:{RedisServer.FreePort()}",
            $"--Projection:Directory={directory.Path}",
        ];
        if (key is not null)
        {
            args.Add($"--Admin:ApiKey={key}");
        }

        await using var app = TestEdge.Build([.. args]);
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => app.StartAsync());
        Assert.Contains("Admin:ApiKey", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_sixteen_character_key_is_enough()
    {
        using var directory = new TempDirectory();
        await using var edge = await StartEdgeAsync(
            directory,
            [Sample()],
            $"--Kestrel:Endpoints:Admin:Url=http://127.0.0.1:{RedisServer.FreePort()}",
            "--Admin:ApiKey=sixteen-chars!!!");
        Assert.Equal(HttpStatusCode.OK, (await edge.PostUpdatesAsync(Body(NewPlugin, NewDevice()))).Status);
    }

    // ---------- the path of the decision ----------

    [Fact]
    public async Task Override_source_blocked_by_allow_prod()
    {
        var explained = await ExplainAndCompareAsync(Body(NewPlugin, PinnedDevice));

        Assert.Equal("override", Source(explained));
        Assert.Equal("development", Chosen(explained));
        Assert.Equal("development", (string)explained["channel"]!["override"]!);
        Assert.True((bool)explained["channel"]!["override_visible"]!);
        Assert.Equal("disable_prod_build", (string)explained["outcome"]!);
        Assert.Equal("blocked", (string)explained["kind"]!);
        Assert.Equal("1.6.0-dev.3", (string)explained["bundle"]!);
        Assert.Null(explained["rollout"]);
        AssertPolicies(explained, 3, "disable_prod_build");
        Assert.Equal("none", (string)explained["policies"]![1]!["setting"]!);
    }

    [Fact]
    public async Task Override_source_offer_passes_every_policy()
    {
        var explained = await ExplainAndCompareAsync(Body(NewPlugin, PinnedDevice.ToUpperInvariant()).WithField("is_prod", false));

        Assert.Equal("override", Source(explained));
        Assert.Equal("update_available", (string)explained["outcome"]!);
        Assert.Null(explained["kind"]);
        Assert.Equal("1.6.0-dev.3", (string)explained["reply"]!["version"]!);
        AssertPolicies(explained, -1);
    }

    [Fact]
    public async Task Default_channel_source()
    {
        var explained = await ExplainAndCompareAsync(Body(NewPlugin, NewDevice(), defaultChannel: "beta"));

        Assert.Equal("defaultChannel", Source(explained));
        Assert.Equal("beta", Chosen(explained));
        Assert.Equal("beta", (string)explained["channel"]!["requested"]!);
        Assert.Null(explained["channel"]!["override"]);
        Assert.Equal("update_available", (string)explained["outcome"]!);
        Assert.Equal(BetaVersion, (string)explained["bundle"]!);
        AssertPolicies(explained, -1);
    }

    [Fact]
    public async Task Default_channel_that_does_not_qualify_is_no_channel_with_no_policy_reached()
    {
        var explained = await ExplainAndCompareAsync(Body(NewPlugin, NewDevice(), defaultChannel: "development"));

        // No channel was chosen, so none has a source; the request shows what the device asked for.
        Assert.Null(explained["channel"]!["source"]);
        Assert.Null(explained["channel"]!["chosen"]);
        Assert.Equal("development", (string)explained["channel"]!["requested"]!);
        Assert.Equal("no_channel", (string)explained["outcome"]!);
        Assert.Equal("failed", (string)explained["kind"]!);
        AssertPolicies(explained, -1, reached: false);
    }

    [Fact]
    public async Task Public_source_rollout_hit_and_miss()
    {
        var hit = DeviceWithBucket(b => b < RolloutShare);
        var miss = DeviceWithBucket(b => b >= RolloutShare);

        var inside = await ExplainAndCompareAsync(Body(NewPlugin, hit));
        var outside = await ExplainAndCompareAsync(Body(NewPlugin, miss));

        foreach (var (explained, expectedIn, version) in new[] { (inside, true, "1.5.0"), (outside, false, "1.4.0") })
        {
            Assert.Equal("public", Source(explained));
            Assert.Equal("production", Chosen(explained));
            Assert.Equal("production", (string)explained["channel"]!["public_for_platform"]!);
            var rollout = Assert.IsType<JsonObject>(explained["rollout"]);
            Assert.Equal(RolloutId, (string)rollout["id"]!);
            Assert.Equal(RolloutShare, (int)rollout["share_bps"]!);
            Assert.True((bool)rollout["live"]!);
            var bucket = (int)rollout["bucket"]!;
            Assert.Equal(expectedIn, (bool)rollout["in_rollout"]!);
            Assert.Equal(bucket < (int)rollout["share_bps"]!, (bool)rollout["in_rollout"]!);
            Assert.Equal(version, (string)explained["bundle"]!);
            Assert.Equal(version, (string)explained["reply"]!["version"]!);
            AssertPolicies(explained, -1);
        }
    }

    [Fact]
    public async Task Rollout_bucket_is_the_same_for_any_case_of_the_device_id()
    {
        var device = DeviceWithBucket(b => b < RolloutShare);
        var lower = await ExplainAsync(Body(NewPlugin, device));
        var upper = await ExplainAsync(Body(NewPlugin, device.ToUpperInvariant()));
        Assert.Equal((int)lower["rollout"]!["bucket"]!, (int)upper["rollout"]!["bucket"]!);
        Assert.True((bool)upper["rollout"]!["in_rollout"]!);
    }

    [Fact]
    public async Task Platform_blocked_through_an_override()
    {
        var explained = await ExplainAndCompareAsync(Body(NewPlugin, IosOnlyDevice, ExplainAppId));

        Assert.Equal("override", Source(explained));
        Assert.Equal("ios-only", Chosen(explained));
        Assert.Equal("disabled_platform_android", (string)explained["outcome"]!);
        AssertPolicies(explained, 0, "disabled_platform_android");

        // The same device on iOS passes.
        var ios = await ExplainAndCompareAsync(Body(NewPlugin, IosOnlyDevice, ExplainAppId, platform: "ios"));
        Assert.Equal("update_available", (string)ios["outcome"]!);
        AssertPolicies(ios, -1);
    }

    [Fact]
    public async Task Major_blocked()
    {
        var explained = await ExplainAndCompareAsync(Body(NewPlugin, NewDevice(), ExplainAppId, defaultChannel: "next"));
        Assert.Equal("disable_auto_update_to_major", (string)explained["outcome"]!);
        Assert.Equal("major", (string)explained["policies"]![1]!["setting"]!);
        AssertPolicies(explained, 1, "disable_auto_update_to_major");
    }

    [Fact]
    public async Task Min_update_version_blocked()
    {
        var explained = await ExplainAndCompareAsync(Body(NewPlugin, NewDevice(), ExplainAppId, defaultChannel: "metadata"));
        Assert.Equal("disable_auto_update_to_metadata", (string)explained["outcome"]!);
        Assert.Equal("version_number", (string)explained["policies"]![1]!["setting"]!);
        AssertPolicies(explained, 1, "disable_auto_update_to_metadata");
    }

    [Fact]
    public async Task Under_native_blocked()
    {
        var body = Body(NewPlugin, NewDevice(), ExplainAppId, defaultChannel: "old").WithField("version_build", "1.5.0").WithField("version_name", "1.0.0");
        var explained = await ExplainAndCompareAsync(body);
        Assert.Equal("disable_auto_update_under_native", (string)explained["outcome"]!);
        AssertPolicies(explained, 2, "disable_auto_update_under_native");
    }

    [Theory]
    [InlineData("no-dev", false, false, 4, "disable_dev_build")]
    [InlineData("no-device", true, false, 5, "disable_device")]
    [InlineData("no-emulator", true, true, 6, "disable_emulator")]
    public async Task Build_and_device_policies_blocked(string channel, bool isProd, bool isEmulator, int index, string code)
    {
        var body = Body(NewPlugin, NewDevice(), ExplainAppId, defaultChannel: channel).WithField("is_prod", isProd).WithField("is_emulator", isEmulator);
        var explained = await ExplainAndCompareAsync(body);
        Assert.Equal(channel, Chosen(explained));
        Assert.Equal(code, (string)explained["outcome"]!);
        Assert.Equal("blocked", (string)explained["kind"]!);
        AssertPolicies(explained, index, code);
    }

    [Fact]
    public async Task Builtin_target_skips_the_version_checks()
    {
        var explained = await ExplainAndCompareAsync(Body(NewPlugin, NewDevice(), ExplainAppId, defaultChannel: "builtin"));
        Assert.Equal("already_on_builtin", (string)explained["outcome"]!);
        Assert.Equal("builtin", (string)explained["bundle"]!);
        AssertPolicies(explained, -1, versionChecksSkipped: true);
    }

    [Fact]
    public async Task Up_to_date_reaches_no_policy()
    {
        var explained = await ExplainAndCompareAsync(Body(NewPlugin, NewDevice(), ExplainAppId).WithField("version_name", "1.4.0"));
        Assert.Equal("no_new_version_available", (string)explained["outcome"]!);
        Assert.Equal("up_to_date", (string)explained["kind"]!);
        AssertPolicies(explained, -1, reached: false);
    }

    public static TheoryData<string> ReplyBodies => new()
    {
        Body(NewPlugin, Guid.Empty.ToString()).ToJsonString(),
        Body("5.2.1", Guid.Empty.ToString()).ToJsonString(),
        Body("8.35.0-beta.1", Guid.Empty.ToString(), defaultChannel: "beta").ToJsonString(),
        Body("4.9.0", Guid.Empty.ToString()).ToJsonString(),
        Body(NewPlugin, Guid.Empty.ToString(), ExplainAppId, defaultChannel: "nope").ToJsonString(),
        Body(NewPlugin, Guid.Empty.ToString(), UnknownAppId).ToJsonString(),
        Body("6.1.0", Guid.Empty.ToString(), ExplainAppId, defaultChannel: "builtin").ToJsonString(),
        Body(NewPlugin, PinnedDevice, platform: "ios").ToJsonString(),
    };

    [Theory]
    [MemberData(nameof(ReplyBodies))]
    public async Task The_explained_reply_is_what_updates_answers(string body)
    {
        var explained = await ExplainAndCompareAsync(JsonNode.Parse(body)!.AsObject());
        Assert.NotNull(explained["outcome"]);
    }

    [Fact]
    public async Task Unknown_app_is_explained_as_429()
    {
        var explained = await ExplainAndCompareAsync(Body(NewPlugin, NewDevice(), UnknownAppId));
        Assert.Equal(429, (int)explained["status"]!);
        Assert.Equal("on_premise_app", (string)explained["outcome"]!);
        Assert.Null(explained["app"]);
        Assert.Null(explained["channel"]);
        AssertPolicies(explained, -1, reached: false);
    }

    [Fact]
    public async Task A_throttled_app_is_explained_with_the_429_the_device_gets()
    {
        using var directory = new TempDirectory();
        var adminPort = RedisServer.FreePort();
        await using var edge = await StartEdgeAsync(
            directory,
            [Sample()],
            $"--Kestrel:Endpoints:Admin:Url=http://127.0.0.1:{adminPort}",
            $"--Admin:ApiKey={ExplainFixture.ApiKey}",
            $"--Abuse:ThrottledApps:{SampleAppId}=17");
        using var admin = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{adminPort}") };
        var body = Body(NewPlugin, NewDevice());

        var reply = await ExplainRawAsync(admin, body, ExplainFixture.ApiKey);
        Assert.True(reply.Status == HttpStatusCode.OK, reply.ToString());
        var explained = reply.Json();
        var actual = await edge.PostUpdatesAsync(body);

        Assert.Equal(HttpStatusCode.TooManyRequests, actual.Status);
        Assert.Equal(429, (int)explained["status"]!);
        Assert.Equal(17, (int)explained["throttled_retry_after_seconds"]!);
        JsonTree.AssertEqual(JsonNode.Parse(actual.Body), explained["reply"]);

        // The decision the app would get once the throttle is lifted is still shown.
        Assert.Equal("update_available", (string)explained["outcome"]!);
        Assert.Equal("public", Source(explained));
    }

    /// <summary>
    /// The whole explanation of one request, byte for byte: names, order, nulls and escaping (a <c>+</c>
    /// stays as it is, as ASP.NET Core's web defaults write it) are the admin contract, so a change shows here.
    /// </summary>
    [Fact]
    public async Task The_explanation_is_pinned_byte_for_byte()
    {
        var body = Body(NewPlugin, DeviceWithBucket(b => b < RolloutShare)).WithField("version_name", "1.3.1+build.7");

        var reply = await ExplainRawAsync(_fixture.Admin, body, ExplainFixture.ApiKey);
        var generation = (await _edge.PostUpdatesAsync(body)).Generation;

        Assert.Equal(HttpStatusCode.OK, reply.Status);
        Assert.Equal("application/json; charset=utf-8", reply.Message.Content.Headers.ContentType?.ToString());
        var expected = string.Concat($$"""
            {"status":200,
            "reply":{"version":"1.5.0","url":"https://cdn.example.com/com.demo.app/1.5.0.zip","session_key":"","checksum":"77aa12fe"},
            "throttled_retry_after_seconds":null,
            "outcome":"update_available",
            "kind":null,
            "generation":{{generation}},
            "app":{"app_id":"com.demo.app","status":"active","expose_metadata":true,"overrides":1},
            "request":{"version_name":"1.3.1+build.7","version_build":"1.2.0","platform":"android","plugin_version":"8.51.23",
            "default_channel":null,"is_prod":true,"is_emulator":false},
            "channel":{"chosen":"production","source":"public","override":null,"override_visible":false,"requested":null,
            "public_for_platform":"production"},
            "rollout":{"id":"production-1.5.0","bundle":"1.5.0","share_bps":2500,"enabled":true,"paused":false,"live":true,
            "bucket":361,"in_rollout":true},
            "bundle":"1.5.0",
            "policies":[{"policy":"platform","setting":null,"result":"passed","code":null},
            {"policy":"disable_auto_update","setting":"major","result":"passed","code":null},
            {"policy":"disable_auto_update_under_native","setting":null,"result":"passed","code":null},
            {"policy":"allow_prod","setting":null,"result":"passed","code":null},
            {"policy":"allow_dev","setting":null,"result":"passed","code":null},
            {"policy":"allow_device","setting":null,"result":"passed","code":null},
            {"policy":"allow_emulator","setting":null,"result":"passed","code":null}]}
            """.Split('\n').Select(line => line.Trim()));
        Assert.Equal(expected, reply.Text);
    }

    [Fact]
    public async Task The_401_body_is_pinned_byte_for_byte()
    {
        var reply = await ExplainRawAsync(_fixture.Admin, Body(NewPlugin, NewDevice()), "wrong");

        Assert.Equal(HttpStatusCode.Unauthorized, reply.Status);
        Assert.Equal("application/json; charset=utf-8", reply.Message.Content.Headers.ContentType?.ToString());
        Assert.Equal("""{"error":"unauthorized","message":"A valid x-api-key header is required"}""", reply.Text);
    }

    [Fact]
    public async Task Bad_bodies_get_the_contract_400()
    {
        var reply = await ExplainRawAsync(_fixture.Admin, Body(NewPlugin, "not-a-uuid"), ExplainFixture.ApiKey);
        Assert.Equal("invalid_json_body", (string)PluginReply.AssertNoUpdate(reply, HttpStatusCode.BadRequest)["error"]!);
    }

    private static string DeviceWithBucket(Func<int, bool> wanted)
    {
        for (var i = 1; ; i++)
        {
            var device = new Guid(i, 0x1234, 0x4abc, 0x8a, 0xbc, 0xde, 0xf0, 0x12, 0x34, 0x56, 0x78).ToString();
            if (wanted(RolloutBucket.Compute(RolloutId, device)))
            {
                return device;
            }
        }
    }
}

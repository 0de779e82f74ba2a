using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Capgo.Edge.Server.Plugin;
using Capgo.Edge.Server.Tests.Infrastructure;
using Capgo.Edge.Tests.Support;
using static Capgo.Edge.Server.Tests.ChannelSelf.PluginApps;

namespace Capgo.Edge.Server.Tests.ChannelSelf;

/// <summary>One standalone edge on the sample app, the choice app and a cancelled app.</summary>
public sealed class ChannelSelfFixture : IAsyncLifetime, IDisposable
{
    private readonly TempDirectory _directory = new();
    private TestEdge? _edge;

    internal TestEdge Edge => _edge ?? throw new InvalidOperationException("The edge is not started");

    // Every test shares this edge and this address: the per-network and per-app buckets
    // (Admission/ tests) are opened so that only the per-device limits under test decide.
    public async Task InitializeAsync() =>
        _edge = await StartEdgeAsync(
            _directory,
            [Sample(), ChoiceApp(), CancelledApp()],
            "--Admission:ChannelSelfPerNetwork:TokenLimit=1000000",
            "--Admission:PinsPerApp:TokenLimit=1000000");

    public async Task DisposeAsync()
    {
        if (_edge is not null)
        {
            await _edge.DisposeAsync();
        }
    }

    public void Dispose() => _directory.Dispose();
}

/// <summary>
/// <c>/channel_self</c> (plugin-endpoints.md) over real HTTP, for new (≥ 8.0.0 / x.34.0) and old plugins.
/// Every test uses devices of its own: overrides and rate limits are per device.
/// </summary>
public sealed class ChannelSelfTests : IClassFixture<ChannelSelfFixture>
{
    private const string Path = "/channel_self";
    private const string PublicNotAllowed =
        "This channel is public and does not allow device self-assignment. Unset the channel and the device will automatically use the public channel.";

    private readonly TestEdge _edge;

    public ChannelSelfTests(ChannelSelfFixture fixture) => _edge = fixture.Edge;

    private Task<HttpReply> SetAsync(JsonObject body) => _edge.SendJsonAsync(HttpMethod.Post, Path, body);

    private Task<HttpReply> GetAsync(JsonObject body) => _edge.SendJsonAsync(HttpMethod.Put, Path, body);

    private Task<HttpReply> UnsetAsync(JsonObject body) => _edge.SendAsync(HttpMethod.Delete, Path + "?" + Query(body));

    private Task<HttpReply> ListAsync(string query) => _edge.GetAsync(Path + "?" + query);

    /// <summary>The update check the same device makes next (no <c>channel</c> field, as the plugin sends it).</summary>
    private async Task<HttpReply> CheckAsync(JsonObject body)
    {
        var check = body.DeepClone().AsObject().WithField("channel", null);
        return await _edge.PostUpdatesAsync(check);
    }

    private static void AssertJson(string expected, HttpReply reply, HttpStatusCode status = HttpStatusCode.OK)
    {
        Assert.True(reply.Status == status, $"expected {(int)status}, got {reply}");
        Assert.Equal("application/json", reply.MediaType);
        JsonTree.AssertEqual(JsonNode.Parse(expected), JsonNode.Parse(reply.Body));
    }

    private static void AssertError(HttpReply reply, string code, string message, HttpStatusCode status = HttpStatusCode.OK)
    {
        var body = PluginReply.AssertNoUpdate(reply, status);
        Assert.Equal(code, (string)body["error"]!);
        Assert.Equal(message, (string)body["message"]!);
    }

    private static string OfferedVersion(HttpReply reply) => (string)PluginReply.AssertOffer(reply)["version"]!;

    public static TheoryData<string> AllPlugins => new() { NewPlugin, "5.34.0", "7.34.1", OldPlugin, "6.3.0", "7.33.9" };

    public static TheoryData<string> OldPlugins => new() { OldPlugin, "6.3.0", "7.33.9", "5.33.99" };

    [Theory]
    [InlineData("5.34.0", true)]
    [InlineData("5.33.9", false)]
    [InlineData("6.34.0", true)]
    [InlineData("6.3.0", false)]
    [InlineData("7.34.0", true)]
    [InlineData("7.0.35", false)]
    [InlineData("8.0.0", true)]
    [InlineData("9.1.0", true)]
    [InlineData("5.2.1", false)]
    [InlineData("3.0.0", false)]
    public void New_plugins_are_from_x_34_0_or_8(string version, bool isNew)
    {
        Assert.True(Core.SemVer.TryParse(version, out var semver));
        Assert.Equal(isNew, ChannelSelfService.IsNewPlugin(semver));
    }

    // ---------- POST (set) ----------

    [Theory]
    [MemberData(nameof(AllPlugins))]
    public async Task Set_without_channel_is_missing_channel(string plugin)
    {
        AssertError(await SetAsync(Body(plugin, NewDevice())), "missing_channel", "Cannot find channel in body");
        AssertError(await SetAsync(Body(plugin, NewDevice(), channel: "")), "missing_channel", "Cannot find channel in body");
        AssertError(await SetAsync(Body(plugin, NewDevice()).WithField("channel", 42)), "missing_channel", "Cannot find channel in body");
    }

    [Theory]
    [MemberData(nameof(AllPlugins))]
    public async Task Set_of_an_unknown_channel_is_channel_not_found(string plugin) =>
        AssertError(await SetAsync(Body(plugin, NewDevice(), channel: "nightly")), "channel_not_found", "Cannot find channel");

    [Theory]
    [MemberData(nameof(AllPlugins))]
    public async Task Set_of_the_public_channel_that_refuses_self_assignment_is_refused(string plugin) =>
        AssertError(await SetAsync(Body(plugin, NewDevice(), channel: "production")), "public_channel_self_set_not_allowed", PublicNotAllowed);

    [Theory]
    [MemberData(nameof(AllPlugins))]
    public async Task Set_of_a_private_channel_is_refused(string plugin) =>
        AssertError(
            await SetAsync(Body(plugin, NewDevice(), channel: "development")),
            "channel_self_set_not_allowed",
            "This channel does not allow devices to self associate");

    [Fact]
    public async Task New_plugin_set_answers_allow_set_and_stores_nothing()
    {
        var device = NewDevice();
        AssertJson("""{"status":"ok","allowSet":true}""", await SetAsync(Body(NewPlugin, device, channel: "beta")));

        // Nothing stored: the device keeps its choice itself, and without it the public channel answers.
        Assert.Contains(OfferedVersion(await CheckAsync(Body(NewPlugin, device))), ProductionVersions);
        Assert.Contains(OfferedVersion(await CheckAsync(Body(OldPlugin, device))), ProductionVersions);
        AssertJson("""{"channel":"production","status":"default"}""", await GetAsync(Body(OldPlugin, device)));

        // Setting it twice is fine: nothing is stored, so there is nothing to rate-limit per channel.
        AssertJson("""{"status":"ok","allowSet":true}""", await SetAsync(Body(NewPlugin, device, channel: "beta")));
    }

    [Theory]
    [MemberData(nameof(OldPlugins))]
    public async Task Old_plugin_set_stores_an_override_the_next_check_answers_from(string plugin)
    {
        var device = NewDevice();
        Assert.Contains(OfferedVersion(await CheckAsync(Body(plugin, device))), ProductionVersions);

        AssertJson("""{"status":"ok"}""", await SetAsync(Body(plugin, device, channel: "beta")));

        Assert.Equal(BetaVersion, OfferedVersion(await CheckAsync(Body(plugin, device))));
        AssertJson("""{"channel":"beta","status":"override","allowSet":true}""", await GetAsync(Body(plugin, device)));

        // Only this device moved.
        Assert.Contains(OfferedVersion(await CheckAsync(Body(plugin, NewDevice()))), ProductionVersions);
    }

    [Fact]
    public async Task Old_plugin_set_is_case_insensitive_on_the_device_id()
    {
        var device = NewDevice();
        AssertJson("""{"status":"ok"}""", await SetAsync(Body(OldPlugin, device.ToUpperInvariant(), channel: "beta")));
        Assert.Equal(BetaVersion, OfferedVersion(await CheckAsync(Body(OldPlugin, device))));
    }

    [Fact]
    public async Task Old_plugin_setting_the_public_channel_removes_the_override()
    {
        var device = NewDevice();
        AssertJson("""{"status":"ok"}""", await SetAsync(Body(OldPlugin, device, ChoiceAppId, channel: "beta")));
        Assert.Equal(BetaVersion, OfferedVersion(await CheckAsync(Body(OldPlugin, device, ChoiceAppId))));
        AssertJson("""{"channel":"beta","status":"override","allowSet":true}""", await GetAsync(Body(OldPlugin, device, ChoiceAppId)));

        AssertJson("""{"status":"ok"}""", await SetAsync(Body(OldPlugin, device, ChoiceAppId, channel: "production")));

        Assert.Equal("1.4.0", OfferedVersion(await CheckAsync(Body(OldPlugin, device, ChoiceAppId))));
        AssertJson("""{"channel":"production","status":"default"}""", await GetAsync(Body(OldPlugin, device, ChoiceAppId)));

        // No override left to remove.
        AssertError(
            await UnsetAsync(Body(OldPlugin, device, ChoiceAppId)),
            "cannot_override",
            "Cannot change device override current channel don't allow it");
    }

    [Fact]
    public async Task Old_plugin_setting_the_public_channel_without_an_override_stores_nothing()
    {
        var device = NewDevice();
        AssertJson("""{"status":"ok"}""", await SetAsync(Body(OldPlugin, device, ChoiceAppId, channel: "production")));
        AssertJson("""{"channel":"production","status":"default"}""", await GetAsync(Body(OldPlugin, device, ChoiceAppId)));
        AssertError(
            await UnsetAsync(Body(OldPlugin, device, ChoiceAppId)),
            "cannot_override",
            "Cannot change device override current channel don't allow it");
    }

    // ---------- PUT (get) ----------

    [Fact]
    public async Task New_plugin_get_echoes_the_channel_or_the_default()
    {
        var device = NewDevice();
        AssertJson("""{"channel":"beta","status":"override","allowSet":true}""", await GetAsync(Body(NewPlugin, device, channel: "beta")));
        AssertJson("""{"channel":"beta","status":"default"}""", await GetAsync(Body(NewPlugin, device, defaultChannel: "beta")));
        AssertJson("""{"channel":"production","status":"default"}""", await GetAsync(Body(NewPlugin, device)));

        // The pinned device: a new plugin's answer comes from what it sends, not from the server.
        AssertJson("""{"channel":"production","status":"default"}""", await GetAsync(Body(NewPlugin, PinnedDevice)));
    }

    [Fact]
    public async Task Old_plugin_get_answers_the_override_then_the_default_then_the_public_channel()
    {
        AssertJson(
            """{"channel":"development","status":"override","allowSet":false}""",
            await GetAsync(Body(OldPlugin, PinnedDevice.ToUpperInvariant())));

        AssertJson("""{"channel":"beta","status":"default"}""", await GetAsync(Body(OldPlugin, NewDevice(), defaultChannel: "beta")));
        AssertJson("""{"channel":"production","status":"default"}""", await GetAsync(Body("6.3.0", NewDevice())));
        AssertJson("""{"channel":"production","status":"default"}""", await GetAsync(Body(OldPlugin, NewDevice(), platform: "ios")));

        // Electron has no public channel on the sample app.
        AssertError(await GetAsync(Body(OldPlugin, NewDevice(), platform: "electron")), "channel_not_found", "Cannot find channel");
    }

    // ---------- DELETE (unset) ----------

    [Fact]
    public async Task New_plugin_unset_is_ok()
    {
        AssertJson("""{"status":"ok"}""", await UnsetAsync(Body(NewPlugin, NewDevice())));

        // Even for a device the server pins: new plugins keep their choice on the device.
        AssertJson("""{"status":"ok"}""", await UnsetAsync(Body(NewPlugin, PinnedDevice)));
        AssertJson(
            """{"channel":"development","status":"override","allowSet":false}""",
            await GetAsync(Body("6.3.0", PinnedDevice)));
    }

    [Theory]
    [MemberData(nameof(OldPlugins))]
    public async Task Old_plugin_unset_without_an_override_cannot_override(string plugin)
    {
        var reply = await UnsetAsync(Body(plugin, NewDevice()));
        AssertError(reply, "cannot_override", "Cannot change device override current channel don't allow it");

        // Written as ASP.NET Core and the transcoder write JSON: the apostrophe is not escaped.
        Assert.Equal("""{"error":"cannot_override","message":"Cannot change device override current channel don't allow it"}""", reply.Text);
    }

    [Fact]
    public async Task Old_plugin_unset_removes_the_override_and_the_check_falls_back()
    {
        var device = NewDevice();
        AssertJson("""{"status":"ok"}""", await SetAsync(Body("6.3.0", device, channel: "beta")));
        Assert.Equal(BetaVersion, OfferedVersion(await CheckAsync(Body("6.3.0", device))));

        AssertJson("""{"status":"ok"}""", await UnsetAsync(Body("6.3.0", device)));

        Assert.Contains(OfferedVersion(await CheckAsync(Body("6.3.0", device))), ProductionVersions);
        AssertJson("""{"channel":"production","status":"default"}""", await GetAsync(Body("6.3.0", device)));
        AssertError(
            await UnsetAsync(Body("6.3.0", device)),
            "cannot_override",
            "Cannot change device override current channel don't allow it");
    }

    [Fact]
    public async Task Unset_reads_its_fields_from_the_query_and_validates_them()
    {
        var noQuery = await _edge.SendAsync(HttpMethod.Delete, Path);
        Assert.Equal("invalid_json_body", (string)PluginReply.AssertNoUpdate(noQuery, HttpStatusCode.BadRequest)["error"]!);

        var missingDevice = await UnsetAsync(Body(OldPlugin, NewDevice()).WithField("device_id", null));
        Assert.Equal("missing_device_id", (string)PluginReply.AssertNoUpdate(missingDevice, HttpStatusCode.BadRequest)["error"]!);

        var badFlag = await _edge.SendAsync(HttpMethod.Delete, Path + "?" + Query(Body(OldPlugin, NewDevice())).Replace("is_prod=true", "is_prod=maybe", StringComparison.Ordinal));
        var body = PluginReply.AssertNoUpdate(badFlag, HttpStatusCode.BadRequest);
        Assert.Equal("invalid_json_body", (string)body["error"]!);
        Assert.Contains("is_prod", body["moreInfo"]!.ToJsonString(), StringComparison.Ordinal);
    }

    // ---------- GET (list) ----------

    [Fact]
    public async Task List_shows_the_public_and_self_assignable_channels_the_device_may_use()
    {
        static string Entry(string name, bool isPublic, bool selfSet) =>
            $$"""{"id":{{ChannelSelfService.ChannelId(name).ToString(CultureInfo.InvariantCulture)}},"name":"{{name}}","public":{{(isPublic ? "true" : "false")}},"allow_self_set":{{(selfSet ? "true" : "false")}}}""";

        var beta = Entry("beta", false, true);
        var production = Entry("production", true, false);
        AssertJson($"[{beta},{production}]", await ListAsync($"app_id={SampleAppId}&platform=android&is_emulator=false&is_prod=true"));
        AssertJson($"[{beta},{production}]", await ListAsync($"app_id={SampleAppId}&platform=ios"));

        // production is off for electron; development is neither public nor self-assignable.
        AssertJson($"[{beta}]", await ListAsync($"app_id={SampleAppId}&platform=electron"));

        var choiceBeta = Entry("beta", false, true);
        var choiceProduction = Entry("production", true, true);
        AssertJson($"[{choiceBeta},{choiceProduction}]", await ListAsync($"app_id={ChoiceAppId}&platform=android"));

        // beta refuses dev builds; every channel refuses emulators.
        AssertJson($"[{choiceProduction}]", await ListAsync($"app_id={ChoiceAppId}&platform=android&is_prod=false"));
        AssertJson("[]", await ListAsync($"app_id={ChoiceAppId}&platform=android&is_emulator=true"));
        AssertJson("[]", await ListAsync($"app_id={ChoiceAppId}&platform=electron&is_prod=false"));
    }

    [Theory]
    [InlineData("")]
    [InlineData("platform=android")]
    [InlineData("app_id=com.demo.app")]
    [InlineData("app_id=com.demo.app&platform=windows")]
    [InlineData("app_id=not-an-app-id&platform=android")]
    [InlineData("app_id=com.demo.app&platform=android&is_emulator=maybe")]
    [InlineData("app_id=com.demo.app&platform=android&is_prod=1")]
    public async Task List_with_a_bad_query_is_400_invalid_query_parameters(string query)
    {
        var body = PluginReply.AssertNoUpdate(await ListAsync(query), HttpStatusCode.BadRequest);
        Assert.Equal("invalid_query_parameters", (string)body["error"]!);
        Assert.IsType<JsonObject>(body["moreInfo"]);
    }

    // ---------- unknown apps, bad bodies ----------

    [Theory]
    [InlineData(UnknownAppId)]
    [InlineData(CancelledAppId)]
    public async Task Unknown_or_inactive_app_is_429_on_premise_app_for_every_method(string appId)
    {
        foreach (var plugin in new[] { NewPlugin, OldPlugin })
        {
            var device = NewDevice();
            AssertError(await SetAsync(Body(plugin, device, appId, channel: "beta")), "on_premise_app", "On-premise app detected", HttpStatusCode.TooManyRequests);
            AssertError(await GetAsync(Body(plugin, device, appId)), "on_premise_app", "On-premise app detected", HttpStatusCode.TooManyRequests);
            AssertError(await UnsetAsync(Body(plugin, device, appId)), "on_premise_app", "On-premise app detected", HttpStatusCode.TooManyRequests);
        }

        AssertError(await ListAsync($"app_id={appId}&platform=android"), "on_premise_app", "On-premise app detected", HttpStatusCode.TooManyRequests);
    }

    public static TheoryData<string, string> BadBodies => new()
    {
        { "not json", "invalid_json_parse_body" },
        { "{\"app_id\":", "invalid_json_parse_body" },
        { "[]", "invalid_json_body" },
        { "\"text\"", "invalid_json_body" },
        { "{}", "invalid_json_body" },
        { "null", "invalid_json_body" },
        { Body(OldPlugin, "x").WithField("device_id", null).ToJsonString(), "missing_device_id" },
        { Body(OldPlugin, Guid.Empty.ToString()).WithField("app_id", null).ToJsonString(), "missing_app_id" },
        { Body(OldPlugin, Guid.Empty.ToString()).WithField("version_build", "1.x").ToJsonString(), "semver_error" },
        { Body(OldPlugin, Guid.Empty.ToString()).WithField("platform", "windows").ToJsonString(), "invalid_json_body" },
        { Body(OldPlugin, "not-a-uuid").ToJsonString(), "invalid_json_body" },
        { Body(OldPlugin, Guid.Empty.ToString()).WithField("is_prod", "yes").ToJsonString(), "invalid_json_body" },
        { Body("banana", Guid.Empty.ToString()).ToJsonString(), "invalid_json_body" },
    };

    [Theory]
    [MemberData(nameof(BadBodies))]
    public async Task Bad_bodies_are_400_with_the_error_shape(string body, string code)
    {
        foreach (var method in new[] { HttpMethod.Post, HttpMethod.Put })
        {
            var reply = await _edge.SendJsonAsync(method, Path, body);
            var json = PluginReply.AssertNoUpdate(reply, HttpStatusCode.BadRequest);
            Assert.Equal(code, (string)json["error"]!);
            Assert.IsType<JsonObject>(json["moreInfo"]);
        }
    }

    // ---------- rate limits ----------

    [Fact]
    public async Task The_sixth_operation_within_a_second_is_429_too_many_requests()
    {
        var device = NewDevice();
        var body = Body(OldPlugin, device);
        var replies = new List<HttpReply>();
        for (var i = 0; i < 6; i++)
        {
            replies.Add(await GetAsync(body));
        }

        Assert.All(replies.Take(5), r => AssertJson("""{"channel":"production","status":"default"}""", r));
        AssertTooManyRequests(replies[5], maxSeconds: 1);

        // The limit is per operation: the same device may still unset and list.
        AssertError(await UnsetAsync(body), "cannot_override", "Cannot change device override current channel don't allow it");
        Assert.Equal(HttpStatusCode.OK, (await ListAsync($"app_id={SampleAppId}&platform=android")).Status);

        // ... and per device.
        AssertJson("""{"channel":"production","status":"default"}""", await GetAsync(Body(OldPlugin, NewDevice())));

        // The window passes.
        await Task.Delay(TimeSpan.FromSeconds(1.2));
        AssertJson("""{"channel":"production","status":"default"}""", await GetAsync(body));
    }

    [Fact]
    public async Task New_plugins_are_rate_limited_too()
    {
        var body = Body(NewPlugin, NewDevice(), channel: "beta");
        for (var i = 0; i < 5; i++)
        {
            AssertJson("""{"status":"ok","allowSet":true}""", await SetAsync(body));
        }

        AssertTooManyRequests(await SetAsync(body), maxSeconds: 1);
    }

    [Fact]
    public async Task Setting_the_same_channel_twice_within_a_minute_is_429()
    {
        var device = NewDevice();
        AssertJson("""{"status":"ok"}""", await SetAsync(Body(OldPlugin, device, channel: "beta")));

        AssertTooManyRequests(await SetAsync(Body(OldPlugin, device, channel: "beta")), maxSeconds: 60);

        // Another app, or another device, is not held back.
        AssertJson("""{"status":"ok"}""", await SetAsync(Body(OldPlugin, device, ChoiceAppId, channel: "beta")));
        AssertJson("""{"status":"ok"}""", await SetAsync(Body(OldPlugin, NewDevice(), channel: "beta")));
        Assert.Equal(BetaVersion, OfferedVersion(await CheckAsync(Body(OldPlugin, device))));
    }

    private static void AssertTooManyRequests(HttpReply reply, int maxSeconds)
    {
        var body = PluginReply.AssertNoUpdate(reply, HttpStatusCode.TooManyRequests);
        Assert.Equal("too_many_requests", (string)body["error"]!);
        var header = reply.Header("Retry-After");
        Assert.NotNull(header);
        var seconds = int.Parse(header, CultureInfo.InvariantCulture);
        Assert.InRange(seconds, 1, maxSeconds);
        Assert.Equal(seconds, (int)body["moreInfo"]!["retryAfterSeconds"]!);
    }
}

using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Capgo.Edge.Server.Tests.Infrastructure;
using Capgo.Edge.Tests.Support;

namespace Capgo.Edge.Server.Tests;

/// <summary>
/// A corpus of bad bodies on <c>POST /updates</c>: each gets a 4xx (never a 5xx) with the contract's
/// error shape and code (update-check.md §1), and the edge keeps answering valid checks right after.
/// </summary>
[Collection(GoldenEdgeDefinition.Name)]
public sealed class BadInputTests
{
    private const int Limit = 64 * 1024;
    private const string ParseError = "invalid_json_parse_body";
    private const string BodyError = "invalid_json_body";

    private readonly TestEdge _edge;

    public BadInputTests(GoldenEdgeFixture fixture) => _edge = fixture.Edge;

    /// <param name="Body">The exact bytes sent.</param>
    /// <param name="Status">The expected status.</param>
    /// <param name="Code">The expected <c>error</c>, or null when the contract fixes only the status.</param>
    /// <param name="IssuePath">A field that must be named in <c>moreInfo.issues[].path</c>.</param>
    /// <param name="Chunked">Send without Content-Length (chunked transfer encoding).</param>
    private sealed record Case(byte[] Body, int Status, string? Code, string? IssuePath = null, bool Chunked = false);

    private static string Valid => Encoding.UTF8.GetString(Vectors.Bytes(Vectors.AndroidRequest)).TrimEnd();

    private static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

    private static byte[] With(params (string Field, JsonNode? Value)[] changes) =>
        Utf8(TestProjection.AndroidRequest(changes).ToJsonString());

    /// <summary>The valid body with the first occurrence of <paramref name="find"/> replaced by raw bytes.</summary>
    private static byte[] Splice(string find, byte[] replacement)
    {
        var text = Valid;
        var at = text.IndexOf(find, StringComparison.Ordinal);
        Assert.True(at >= 0, $"'{find}' is not in the vector");
        return [.. Utf8(text[..at]), .. replacement, .. Utf8(text[(at + find.Length)..])];
    }

    private static byte[] Padded(int size)
    {
        // The valid body plus an unknown field that brings it to exactly `size` bytes.
        var text = Valid;
        var prefix = text[..^1] + ",\"pad\":\"";
        var suffix = "\"}";
        var body = prefix + new string('x', size - prefix.Length - suffix.Length) + suffix;
        Assert.Equal(size, Encoding.UTF8.GetByteCount(body));
        return Utf8(body);
    }

    private static readonly Dictionary<string, Case> Cases = new(StringComparer.Ordinal)
    {
        // 1. Not JSON.
        ["not JSON"] = new(Utf8("hello, edge"), 400, ParseError),
        ["empty body"] = new([], 400, ParseError),
        ["whitespace only"] = new(Utf8(" \r\n\t "), 400, ParseError),
        ["truncated object"] = new(Utf8(Valid[..^10]), 400, ParseError),
        ["trailing garbage after the object"] = new(Utf8(Valid + "garbage"), 400, ParseError),
        ["two objects"] = new(Utf8(Valid + Valid), 400, ParseError),
        ["trailing comma"] = new(Utf8(Valid[..^1] + ",}"), 400, ParseError),
        ["a comment"] = new(Utf8("/* hi */" + Valid), 400, ParseError),
        ["single quotes"] = new(Utf8(Valid.Replace('"', '\'')), 400, ParseError),
        ["raw control character in a string"] = new(Splice("\"custom_id\":\"\"", Utf8("\"custom_id\":\"a\u0001b\"")), 400, ParseError),
        ["invalid UTF-8 inside a string value"] = new(Splice("00009a6b", [0xFF, 0xFE, 0x30, 0x30, 0x39, 0x61, 0x36, 0x62]), 400, ParseError),
        ["invalid UTF-8 inside a key"] = new(Splice("\"custom_id\"", [(byte)'"', 0x63, 0xC3, 0x28, (byte)'"']), 400, ParseError),
        ["invalid UTF-8 inside an unknown field"] = new(Splice("\"custom_id\":\"\"", [.. Utf8("\"custom_id\":\"\",\"zz\":\""), 0xED, 0xA0, 0x80, (byte)'"']), 400, ParseError),
        ["overlong UTF-8 inside a string value"] = new(Splice("com.android.vending", [0xC0, 0xAF]), 400, ParseError),
        ["10 000-deep unbalanced arrays"] = new(Utf8(new string('[', 10_000)), 400, ParseError),
        ["10 000-deep unbalanced objects"] = new(Utf8(string.Concat(Enumerable.Repeat("{\"a\":", 10_000))), 400, ParseError),

        // Too deep to be a plugin body, although well-formed: a 4xx whatever the code.
        ["10 000-deep balanced arrays"] = new(Utf8(new string('[', 10_000) + new string(']', 10_000)), 400, null),
        ["10 000-deep balanced objects"] = new(Utf8(string.Concat(Enumerable.Repeat("{\"a\":", 10_000)) + "1" + new string('}', 10_000)), 400, null),
        ["10 000-deep value in an unknown field of a valid body"] = new(
            Utf8(Valid[..^1] + ",\"a\":" + string.Concat(Enumerable.Repeat("{\"a\":", 10_000)) + "1" + new string('}', 10_001)), 400, null),
        ["lone high surrogate escape in device_id"] = new(Splice("00009a6b-eefe-490a-9c60-8e965132ae51", Utf8("\\ud800")), 400, null),
        ["lone low surrogate escape in app_id"] = new(Splice("com.demo.app", Utf8("com.\\udc00.app")), 400, null),

        // 2. JSON, but not an object with fields.
        ["null"] = new(Utf8("null"), 400, BodyError),
        ["[]"] = new(Utf8("[]"), 400, BodyError),
        ["[1,2]"] = new(Utf8("[1,2]"), 400, BodyError),
        ["42"] = new(Utf8("42"), 400, BodyError),
        ["\"str\""] = new(Utf8("\"str\""), 400, BodyError),
        ["true"] = new(Utf8("true"), 400, BodyError),
        ["[valid body]"] = new(Utf8("[" + Valid + "]"), 400, BodyError),
        ["{}"] = new(Utf8("{}"), 400, BodyError),

        // 3-4. Missing device_id, then app_id.
        ["missing device_id"] = new(With(("device_id", null)), 400, "missing_device_id"),
        ["empty device_id"] = new(With(("device_id", "")), 400, "missing_device_id"),
        ["null device_id"] = new(Utf8(Valid.Replace("\"00009a6b-eefe-490a-9c60-8e965132ae51\"", "null", StringComparison.Ordinal)), 400, "missing_device_id"),
        ["missing app_id"] = new(With(("app_id", null)), 400, "missing_app_id"),
        ["missing device_id and app_id"] = new(With(("device_id", null), ("app_id", null)), 400, "missing_device_id"),

        // 5. version_build not semver.
        ["version_build not semver"] = new(With(("version_build", "1.2.3.4")), 400, "semver_error"),

        // 6. The field rules.
        ["missing version_name"] = new(With(("version_name", null)), 400, BodyError, "version_name"),
        ["missing version_build"] = new(With(("version_build", null)), 400, BodyError, "version_build"),
        ["missing platform"] = new(With(("platform", null)), 400, BodyError, "platform"),
        ["missing plugin_version"] = new(With(("plugin_version", null)), 400, BodyError, "plugin_version"),
        ["device_id: 5"] = new(With(("device_id", 5)), 400, BodyError, "device_id"),
        ["app_id: 5"] = new(With(("app_id", 5)), 400, BodyError, "app_id"),
        ["version_name: 1.3"] = new(With(("version_name", 1.3)), 400, BodyError, "version_name"),
        ["version_build: 1"] = new(With(("version_build", 1)), 400, BodyError, "version_build"),
        ["plugin_version: 8"] = new(With(("plugin_version", 8)), 400, BodyError, "plugin_version"),
        ["platform: true"] = new(With(("platform", true)), 400, BodyError, "platform"),
        ["is_emulator: \"false\""] = new(With(("is_emulator", "false")), 400, BodyError, "is_emulator"),
        ["is_prod: \"true\""] = new(With(("is_prod", "true")), 400, BodyError, "is_prod"),
        ["is_prod: 1"] = new(With(("is_prod", 1)), 400, BodyError, "is_prod"),
        ["app_id: {}"] = new(With(("app_id", new JsonObject())), 400, BodyError, "app_id"),
        ["device_id: [uuid]"] = new(With(("device_id", new JsonArray("00009a6b-eefe-490a-9c60-8e965132ae51"))), 400, BodyError, "device_id"),
        ["platform: [\"android\"]"] = new(With(("platform", new JsonArray("android"))), 400, BodyError, "platform"),
        ["version_name: {\"a\":1}"] = new(With(("version_name", new JsonObject { ["a"] = 1 })), 400, BodyError, "version_name"),
        ["defaultChannel: 7"] = new(With(("defaultChannel", 7)), 400, BodyError, "defaultChannel"),
        ["custom_id: []"] = new(With(("custom_id", new JsonArray())), 400, BodyError, "custom_id"),
        ["device_id not a UUID"] = new(With(("device_id", "00009a6b-eefe-490a-9c60-8e965132ae5")), 400, BodyError, "device_id"),
        ["device_id 37 characters"] = new(With(("device_id", "00009a6b-eefe-490a-9c60-8e965132ae510")), 400, BodyError, "device_id"),
        ["app_id not reverse-domain"] = new(With(("app_id", "ee.forgr.demo+app")), 400, BodyError, "app_id"),
        ["platform windows"] = new(With(("platform", "windows")), 400, BodyError, "platform"),
        ["platform Android (case)"] = new(With(("platform", "Android")), 400, BodyError, "platform"),
        ["plugin_version not semver"] = new(With(("plugin_version", "8.51")), 400, BodyError, "plugin_version"),
        ["install_source over 64 characters"] = new(With(("install_source", new string('s', 65))), 400, BodyError, "install_source"),
        ["key_id over 20 characters"] = new(With(("key_id", new string('k', 21))), 400, BodyError, "key_id"),

        // Size limit (HttpApi:MaxRequestBodyBytes, 64 KiB by default).
        ["a 1 MB string"] = new(With(("custom_id", new string('x', 1024 * 1024))), 413, null),
        ["one byte over the limit"] = new(Padded(Limit + 1), 413, null),
        ["one byte over the limit, chunked"] = new(Padded(Limit + 1), 413, null, Chunked: true),
        ["2 MB, chunked"] = new(With(("custom_id", new string('x', 2 * 1024 * 1024))), 413, null, Chunked: true),
    };

    public static TheoryData<string> CaseNames()
    {
        var data = new TheoryData<string>();
        foreach (var name in Cases.Keys)
        {
            data.Add(name);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(CaseNames))]
    public async Task Bad_body_gets_a_4xx_with_the_error_shape_and_the_edge_keeps_answering(string name)
    {
        var @case = Cases[name];

        var reply = await PostAsync(@case.Body, @case.Chunked);

        Assert.True((int)reply.Status == @case.Status, $"{name}: expected {@case.Status}, got {reply}");
        AssertErrorShape(reply);
        var body = reply.Json();
        if (@case.Code is not null)
        {
            Assert.Equal(@case.Code, (string)body["error"]!);
        }

        if (@case.IssuePath is not null)
        {
            Assert.Contains(@case.IssuePath, IssuePaths(body));
        }

        if (@case.Status == 413)
        {
            // The rest of the body is still in flight: the client must not reuse this connection.
            Assert.True(reply.Message.Headers.ConnectionClose == true, $"a 413 over HTTP/1.1 must say Connection: close: {reply}");
        }

        await AssertStillAnswersAsync();
    }

    [Fact]
    public async Task Messages_follow_the_contract()
    {
        await AssertErrorAsync(Utf8("nope"), ParseError, "Invalid JSON body");
        await AssertErrorAsync(Utf8("{}"), BodyError, "Cannot parse body");
        await AssertErrorAsync(With(("device_id", null)), "missing_device_id", "Cannot find device_id");
        await AssertErrorAsync(With(("app_id", null)), "missing_app_id", "Cannot find app_id");
        await AssertErrorAsync(
            With(("version_build", "1.2.3.4")),
            "semver_error",
            "Native version: 1.2.3.4 doesn't follow semver convention, please check https://capgo.app/semver_tester/ to learn more about semver usage in Capgo");
        await AssertErrorAsync(With(("platform", "windows")), BodyError, "Cannot parse body");
    }

    [Fact]
    public async Task Errors_come_in_the_contract_order()
    {
        // semver_error (5) before any field rule (6).
        var semverFirst = (await PostAsync(With(("version_build", "x.y"), ("platform", "windows"), ("device_id", "nope")))).Json();
        Assert.Equal("semver_error", (string)semverFirst["error"]!);

        // missing app_id (4) before semver_error (5).
        var appIdFirst = (await PostAsync(With(("app_id", null), ("version_build", "x.y")))).Json();
        Assert.Equal("missing_app_id", (string)appIdFirst["error"]!);

        // Field problems listed in the table's order.
        var many = (await PostAsync(With(
            ("key_id", new string('k', 21)),
            ("platform", "windows"),
            ("device_id", "nope"),
            ("app_id", "noDots"),
            ("is_prod", "yes")))).Json();
        Assert.Equal(BodyError, (string)many["error"]!);
        Assert.Equal(new[] { "app_id", "device_id", "platform", "is_prod", "key_id" }, IssuePaths(many));
    }

    [Fact]
    public async Task A_body_exactly_at_the_limit_is_accepted()
    {
        var reply = await PostAsync(Padded(Limit));

        JsonTree.AssertEqual(Vectors.Object(Vectors.ReplyUpdateAvailableManifest), PluginReply.AssertOffer(reply));
    }

    [Fact]
    public async Task A_valid_body_sent_chunked_is_accepted()
    {
        var reply = await PostAsync(Vectors.Bytes(Vectors.AndroidRequest), chunked: true);

        JsonTree.AssertEqual(Vectors.Object(Vectors.ReplyUpdateAvailableManifest), PluginReply.AssertOffer(reply));
    }

    [Fact]
    public async Task A_body_with_a_byte_order_mark_is_not_a_5xx()
    {
        var reply = await PostAsync([0xEF, 0xBB, 0xBF, .. Vectors.Bytes(Vectors.AndroidRequest)]);

        AssertOfferOrError(reply);
        await AssertStillAnswersAsync();
    }

    [Fact]
    public async Task Duplicate_keys_with_the_same_value_are_accepted()
    {
        var reply = await PostAsync(Utf8(Valid[..^1] + ",\"app_id\":\"com.demo.app\"}"));

        JsonTree.AssertEqual(Vectors.Object(Vectors.ReplyUpdateAvailableManifest), PluginReply.AssertOffer(reply));
    }

    [Theory]
    [InlineData("\"device_id\":\"nope\"")]
    [InlineData("\"device_id\":5")]
    [InlineData("\"app_id\":\"com.unknown.app\"")]
    [InlineData("\"is_prod\":\"yes\"")]
    public async Task Duplicate_keys_with_different_values_are_never_a_5xx(string first)
    {
        // Same body, the key repeated before its valid occurrence: an offer (last wins, as JSON.parse)
        // or a contract error are both acceptable; a crash or a non-contract body is not.
        var reply = await PostAsync(Utf8("{" + first + "," + Valid[1..]));

        AssertOfferOrError(reply);
        await AssertStillAnswersAsync();
    }

    [Fact]
    public async Task Lone_surrogate_in_an_unknown_field_is_not_a_5xx()
    {
        var reply = await PostAsync(Utf8(Valid[..^1] + ",\"zz\":\"\\ud800\"}"));

        AssertOfferOrError(reply);
        await AssertStillAnswersAsync();
    }

    [Theory]
    [InlineData("/UPDATES")]
    [InlineData("/Updates")]
    [InlineData("/updates/")]
    public async Task Every_path_routed_to_updates_is_answered_by_the_json_endpoint(string path)
    {
        // Routing matches these to POST /updates; each must reach the endpoint (the contract's shapes), not transcoding.
        foreach (var (body, status, code) in new[]
        {
            (Utf8("nope"), 400, ParseError),
            (Utf8("[1]"), 400, BodyError),
            (Utf8("{}"), 400, BodyError),
            (With(("device_id", 5)), 400, BodyError),
            (Padded(Limit + 1), 413, (string?)null),
        })
        {
            var reply = await _edge.PostAsync(path, body);
            Assert.True((int)reply.Status == status, $"{path}: expected {status}, got {reply}");
            AssertErrorShape(reply);
            if (code is not null)
            {
                Assert.Equal(code, (string)reply.Json()["error"]!);
            }
        }

        var offer = await _edge.PostAsync(path, Vectors.Bytes(Vectors.AndroidRequest));
        JsonTree.AssertEqual(Vectors.Object(Vectors.ReplyUpdateAvailableManifest), PluginReply.AssertOffer(offer));
    }

    [Theory]
    [InlineData("GET")]
    [InlineData("PUT")]
    public async Task Other_methods_on_updates_are_not_a_5xx(string method)
    {
        using var content = method == "GET" ? null : new ByteArrayContent(Vectors.Bytes(Vectors.AndroidRequest));
        var reply = await _edge.SendAsync(new HttpMethod(method), "/updates", content);

        Assert.True((int)reply.Status is >= 400 and < 500, $"{method}: {reply}");
    }

    private static void AssertErrorShape(HttpReply reply)
    {
        Assert.True((int)reply.Status is >= 400 and < 500, $"expected a 4xx, got {reply}");
        Assert.True(reply.MediaType == "application/json", $"expected a JSON body, got {reply}");
        var body = reply.Json();
        PluginReply.AssertError(body);
        Assert.False(body.ContainsKey("kind"), $"a rejected request has no kind: {reply}");
        if (body.ContainsKey("moreInfo"))
        {
            Assert.IsType<JsonObject>(body["moreInfo"]);
        }
    }

    private static void AssertOfferOrError(HttpReply reply)
    {
        if (reply.Status == HttpStatusCode.OK)
        {
            PluginReply.AssertOffer(reply);
        }
        else
        {
            AssertErrorShape(reply);
        }
    }

    private static string[] IssuePaths(JsonObject body)
    {
        var moreInfo = Assert.IsType<JsonObject>(body["moreInfo"]);
        var issues = Assert.IsType<JsonArray>(moreInfo["issues"]);
        return [.. issues.Select(issue => (string)Assert.IsType<JsonArray>(issue!["path"])[0]!)];
    }

    private async Task AssertErrorAsync(byte[] body, string code, string message)
    {
        var reply = await PostAsync(body);
        Assert.Equal(HttpStatusCode.BadRequest, reply.Status);
        AssertErrorShape(reply);
        var json = reply.Json();
        Assert.Equal(code, (string)json["error"]!);
        Assert.Equal(message, (string)json["message"]!);
        Assert.IsType<JsonObject>(json["moreInfo"]);
    }

    private async Task AssertStillAnswersAsync()
    {
        var reply = await _edge.PostUpdatesAsync(Vectors.Bytes(Vectors.AndroidRequest));
        JsonTree.AssertEqual(Vectors.Object(Vectors.ReplyUpdateAvailableManifest), PluginReply.AssertOffer(reply));
    }

    private async Task<HttpReply> PostAsync(byte[] body, bool chunked = false)
    {
        using HttpContent content = chunked ? new ChunkedContent(body) : new ByteArrayContent(body);
        content.Headers.ContentType = MediaTypeHeaderValue.Parse(EdgeHttp.PluginContentType);
        return await _edge.SendAsync(HttpMethod.Post, "/updates", content);
    }

    /// <summary>A body of unknown length: sent with <c>Transfer-Encoding: chunked</c>, in 8 KiB writes.</summary>
    private sealed class ChunkedContent(byte[] body) : HttpContent
    {
        protected override async Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context)
        {
            for (var offset = 0; offset < body.Length; offset += 8192)
            {
                await stream.WriteAsync(body.AsMemory(offset, Math.Min(8192, body.Length - offset)));
                await stream.FlushAsync();
            }
        }

        protected override bool TryComputeLength(out long length)
        {
            length = -1;
            return false;
        }
    }
}

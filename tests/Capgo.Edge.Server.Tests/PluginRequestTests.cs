using System.Text;
using System.Text.Json.Nodes;
using Capgo.Edge.Server.Tests.Infrastructure;
using Capgo.Edge.Tests.Support;

namespace Capgo.Edge.Server.Tests;

/// <summary>The bodies the real plugin sends are accepted as they are.</summary>
[Collection(GoldenEdgeDefinition.Name)]
public sealed class PluginRequestTests
{
    private readonly TestEdge _edge;

    public PluginRequestTests(GoldenEdgeFixture fixture) => _edge = fixture.Edge;

    public static TheoryData<string> RequestVectors()
    {
        var data = new TheoryData<string>();
        foreach (var name in Vectors.RequestNames())
        {
            data.Add(name);
        }

        return data;
    }

    [Fact]
    public void All_four_request_vectors_are_found()
    {
        // Guards the theory below against silently running on nothing.
        Assert.Equal(
            new[] { Vectors.AndroidRequest, Vectors.IosEncryptedRequest, Vectors.IosRequest, Vectors.OldPluginRequest },
            Vectors.RequestNames());
    }

    [Theory]
    [MemberData(nameof(RequestVectors))]
    public async Task Every_request_vector_posted_as_is_gets_an_offer_the_plugin_accepts(string vector)
    {
        // Each vector reaches a channel serving the offered bundle in the test projection.
        var reply = await _edge.PostUpdatesAsync(Vectors.Bytes(vector), EdgeHttp.PluginContentType);

        var body = PluginReply.AssertOffer(reply);
        Assert.Equal(TestProjection.OfferedVersion, (string)body["version"]!);
        Assert.NotNull(reply.Generation);
    }

    [Fact]
    public async Task The_default_channel_snake_case_spelling_is_read()
    {
        // "next" serves a blocked major: had the field been ignored, the public channel would offer.
        var body = TestProjection.AndroidRequest(("defaultChannel", null), ("default_channel", TestProjection.Next));

        var reply = PluginReply.AssertNoUpdate(await _edge.PostUpdatesAsync(body));

        Assert.Equal("disable_auto_update_to_major", (string)reply["error"]!);
    }

    [Fact]
    public async Task The_defaultChannel_camel_case_spelling_is_read()
    {
        var body = TestProjection.AndroidRequest(("defaultChannel", TestProjection.Next));

        var reply = PluginReply.AssertNoUpdate(await _edge.PostUpdatesAsync(body));

        Assert.Equal("disable_auto_update_to_major", (string)reply["error"]!);
    }

    [Fact]
    public async Task Unknown_extra_fields_are_ignored()
    {
        // /stats and /channel_self fields, plus unknown structured values.
        var body = TestProjection.AndroidRequest(
            ("channel", TestProjection.Next),
            ("action", "get"),
            ("old_version_name", "1.0.0"),
            ("extra", new JsonObject { ["nested"] = new JsonArray(1, "two", true, null) }));

        var reply = PluginReply.AssertOffer(await _edge.PostUpdatesAsync(body));

        JsonTree.AssertEqual(Vectors.Object(Vectors.ReplyUpdateAvailableManifest), reply);
    }

    [Fact]
    public async Task A_null_defaultChannel_is_absent()
    {
        var reply = await _edge.PostUpdatesAsync(
            """{"platform":"android","device_id":"00009a6b-eefe-490a-9c60-8e965132ae51","app_id":"com.demo.app","version_build":"1.2.0","version_name":"1.3.1","plugin_version":"8.51.23","is_emulator":false,"is_prod":true,"defaultChannel":null}""");

        JsonTree.AssertEqual(Vectors.Object(Vectors.ReplyUpdateAvailableManifest), PluginReply.AssertOffer(reply));
    }

    [Fact]
    public async Task Optional_fields_may_all_be_absent()
    {
        var reply = await _edge.PostUpdatesAsync(
            """{"platform":"ios","device_id":"6F1C2B9A-4D3E-4A5B-9C8D-7E6F5A4B3C2D","app_id":"com.demo.app","version_build":"1.2.0","version_name":"builtin","plugin_version":"8.51.23"}""");

        JsonTree.AssertEqual(Vectors.Object(Vectors.ReplyUpdateAvailableManifest), PluginReply.AssertOffer(reply));
    }

    [Fact]
    public async Task A_text_plain_content_type_with_a_valid_body_still_works()
    {
        var reply = await _edge.PostUpdatesAsync(Vectors.Bytes(Vectors.AndroidRequest), "text/plain");

        JsonTree.AssertEqual(Vectors.Object(Vectors.ReplyUpdateAvailableManifest), PluginReply.AssertOffer(reply));
    }

    [Fact]
    public async Task No_content_type_with_a_valid_body_still_works()
    {
        var reply = await _edge.PostUpdatesAsync(Vectors.Bytes(Vectors.AndroidRequest), contentType: null);

        JsonTree.AssertEqual(Vectors.Object(Vectors.ReplyUpdateAvailableManifest), PluginReply.AssertOffer(reply));
    }

    private const string Base =
        "\"platform\":\"android\",\"device_id\":\"00009a6b-eefe-490a-9c60-8e965132ae51\",\"version_build\":\"1.2.0\",\"version_name\":\"1.3.1\",\"plugin_version\":\"8.51.23\"";

    [Theory]
    [InlineData("every optional field null", "{" + Base + ",\"app_id\":\"com.demo.app\",\"is_emulator\":null,\"is_prod\":null,\"defaultChannel\":null,\"install_source\":null,\"key_id\":null,\"custom_id\":null,\"version_code\":null,\"version_os\":null}")]
    [InlineData("empty defaultChannel", "{" + Base + ",\"app_id\":\"com.demo.app\",\"defaultChannel\":\"\"}")]
    [InlineData("escaped key", "{" + Base + ",\"app\\u005fid\":\"com.demo.app\"}")]
    [InlineData("escaped value", "{" + Base + ",\"app_id\":\"com.demo\\u002eapp\"}")]
    [InlineData("app id in another case", "{" + Base + ",\"app_id\":\"COM.Demo.App\"}")]
    [InlineData("pretty-printed", "{\n  " + Base + ",\r\n\t\"app_id\" :  \"com.demo.app\"\n}\n")]
    [InlineData("unknown numbers", "{" + Base + ",\"app_id\":\"com.demo.app\",\"n1\":1e400,\"n2\":-0.0,\"n3\":123456789012345678901234567890}")]
    [InlineData("unknown nested values", "{" + Base + ",\"app_id\":\"com.demo.app\",\"o\":{\"a\":[{\"b\":[[[null]]]}]},\"e\":[],\"f\":{}}")]
    [InlineData("unicode in unknown values", "{" + Base + ",\"app_id\":\"com.demo.app\",\"custom_id\":\"ünïcødé ✓ 😀\",\"x\":\"\\ud83d\\ude00\"}")]
    public async Task Odd_but_valid_bodies_get_the_offer(string why, string body)
    {
        var reply = await _edge.PostUpdatesAsync(body);

        Assert.True(reply.Status == System.Net.HttpStatusCode.OK, $"{why}: {reply}");
        JsonTree.AssertEqual(Vectors.Object(Vectors.ReplyUpdateAvailableManifest), PluginReply.AssertOffer(reply));
    }

    [Theory]
    [InlineData("1.2", "1.2.0")]
    [InlineData("v1.2.0", "1.2.0")]
    [InlineData("1", "1.0.0")]
    public async Task Version_build_is_normalised(string versionBuild, string normalised)
    {
        // "next" blocks the major and reports the normalised native version as "old".
        var reply = PluginReply.AssertNoUpdate(await _edge.PostUpdatesAsync(TestProjection.AndroidRequest(
            ("defaultChannel", TestProjection.Next),
            ("version_build", versionBuild))));

        Assert.Equal("disable_auto_update_to_major", (string)reply["error"]!);
        Assert.Equal(normalised, (string)reply["old"]!);
    }

    [Fact]
    public async Task Echo_returns_its_payload_over_HTTP()
    {
        var reply = await _edge.PostAsync("/echo", """{"payload":"héllo ✓"}"""u8.ToArray());

        Assert.Equal(System.Net.HttpStatusCode.OK, reply.Status);
        Assert.Equal("héllo ✓", (string)reply.Json()["payload"]!);
    }

    [Fact]
    public async Task The_raw_echo_writes_the_request_bytes_back_as_JSON_and_refuses_what_the_checks_refuse()
    {
        var body = Encoding.UTF8.GetBytes("""{"payload":"héllo ✓","app_id":"not parsed at all"}""");

        var reply = await _edge.PostAsync("/echo/raw", body);

        Assert.Equal(System.Net.HttpStatusCode.OK, reply.Status);
        Assert.Equal("application/json", reply.MediaType);
        Assert.Equal(body, reply.Body);

        var tooLarge = await _edge.PostAsync("/echo/raw", new byte[(64 * 1024) + 1]);
        Assert.Equal(System.Net.HttpStatusCode.RequestEntityTooLarge, tooLarge.Status);
        Assert.Equal("payload_too_large", (string?)tooLarge.Json()["error"]);
    }
}

using System.Net;
using System.Text.Json.Nodes;
using Capgo.Edge.Server.Tests.Infrastructure;
using Capgo.Edge.Tests.Support;

namespace Capgo.Edge.Server.Tests;

/// <summary>Each reply shape over HTTP JSON, compared as a JSON tree with the golden vectors.</summary>
[Collection(GoldenEdgeDefinition.Name)]
public sealed class GoldenReplyTests
{
    private readonly TestEdge _edge;

    public GoldenReplyTests(GoldenEdgeFixture fixture) => _edge = fixture.Edge;

    [Fact]
    public async Task Offer_without_manifest_for_an_old_plugin_matches_the_vector()
    {
        // Plugin 5.2.1 reads neither manifests (< 5.10.0) nor metadata (< 5.35.0).
        var reply = await _edge.PostUpdatesAsync(Vectors.Bytes(Vectors.OldPluginRequest));

        var body = PluginReply.AssertOffer(reply);
        JsonTree.AssertEqual(Vectors.Object(Vectors.ReplyUpdateAvailable), body);
        Assert.NotNull(reply.Generation);
    }

    [Fact]
    public async Task Offer_with_manifest_link_and_comment_matches_the_vector()
    {
        var reply = await _edge.PostUpdatesAsync(Vectors.Bytes(Vectors.AndroidRequest));

        var body = PluginReply.AssertOffer(reply);
        JsonTree.AssertEqual(Vectors.Object(Vectors.ReplyUpdateAvailableManifest), body);
        Assert.NotNull(reply.Generation);
    }

    [Fact]
    public async Task Offer_to_a_prerelease_of_x_35_has_the_manifest_but_no_metadata()
    {
        var reply = await _edge.PostUpdatesAsync(TestProjection.AndroidRequest(("plugin_version", "8.35.0-beta.1")));

        var body = PluginReply.AssertOffer(reply);
        var expected = Vectors.Object(Vectors.ReplyUpdateAvailableManifest);
        expected.Remove("link");
        expected.Remove("comment");
        JsonTree.AssertEqual(expected, body);
    }

    [Fact]
    public async Task Offer_keeps_an_empty_session_key_and_the_checksum()
    {
        var body = PluginReply.AssertOffer(await _edge.PostUpdatesAsync(Vectors.Bytes(Vectors.OldPluginRequest)));

        Assert.Equal("", (string)body["session_key"]!);
        Assert.Equal((string)Vectors.Object(Vectors.ReplyUpdateAvailable)["checksum"]!, (string)body["checksum"]!);
    }

    [Fact]
    public async Task Up_to_date_matches_the_vector()
    {
        var reply = await _edge.PostUpdatesAsync(TestProjection.AndroidRequest(("version_name", TestProjection.OfferedVersion)));

        var body = PluginReply.AssertNoUpdate(reply);
        JsonTree.AssertEqual(Vectors.Object(Vectors.ReplyUpToDate), body);
        Assert.NotNull(reply.Generation);
    }

    [Fact]
    public async Task Blocked_major_matches_the_vector_with_HTTP_200()
    {
        var expected = Vectors.Object(Vectors.ReplyBlockedMajor);
        var reply = await _edge.PostUpdatesAsync(TestProjection.AndroidRequest(
            ("defaultChannel", TestProjection.Next),
            ("version_build", expected["old"]!.DeepClone())));

        var body = PluginReply.AssertNoUpdate(reply, HttpStatusCode.OK);
        JsonTree.AssertEqual(expected, body);
    }

    [Theory]
    [InlineData(TestProjection.UnknownAppId)]
    [InlineData(TestProjection.CancelledAppId)]
    public async Task Unknown_or_inactive_app_gets_429_matching_the_vector(string appId)
    {
        var reply = await _edge.PostUpdatesAsync(TestProjection.AndroidRequest(("app_id", appId)));

        var body = PluginReply.AssertNoUpdate(reply, HttpStatusCode.TooManyRequests);
        JsonTree.AssertEqual(Vectors.Object(Vectors.ReplyUnknownApp429), body);
    }

    [Fact]
    public async Task Bad_input_gets_400_with_the_vector_error_and_message_and_a_moreInfo()
    {
        var expected = Vectors.Object(Vectors.ReplyBadInput400);
        var reply = await _edge.PostUpdatesAsync(TestProjection.AndroidRequest(("device_id", "not-a-uuid")));

        var body = PluginReply.AssertNoUpdate(reply, HttpStatusCode.BadRequest);
        Assert.Equal((string)expected["error"]!, (string)body["error"]!);
        Assert.Equal((string)expected["message"]!, (string)body["message"]!);
        Assert.False(body.ContainsKey("kind"));
        var issues = Assert.IsType<JsonArray>(Assert.IsType<JsonObject>(body["moreInfo"])["issues"]);
        var expectedPath = expected["moreInfo"]!["issues"]![0]!["path"]!;
        Assert.Contains(issues, issue => JsonNode.DeepEquals(issue!["path"], expectedPath));
    }

    [Fact]
    public async Task A_private_channel_asked_by_name_is_no_channel_without_falling_back_to_public()
    {
        var reply = await _edge.PostUpdatesAsync(TestProjection.AndroidRequest(("defaultChannel", TestProjection.Private)));

        var body = PluginReply.AssertNoUpdate(reply);
        Assert.Equal("no_channel", (string)body["error"]!);
        Assert.Equal("no default channel or override", (string)body["message"]!);
        Assert.Equal("failed", (string)body["kind"]!);
    }

    [Fact]
    public async Task Offer_of_a_bundle_without_checksum_or_session_key_still_has_both_keys()
    {
        var reply = await _edge.PostUpdatesAsync(TestProjection.AndroidRequest(("defaultChannel", TestProjection.Bare)));

        var body = PluginReply.AssertOffer(reply);
        JsonTree.AssertEqual(
            new JsonObject
            {
                ["version"] = TestProjection.BareVersion,
                ["url"] = $"https://cdn.example.com/{TestProjection.AppId}/{TestProjection.BareVersion}.zip",
                ["session_key"] = "",
                ["checksum"] = "",
            },
            body);
    }

    [Fact]
    public async Task Offer_of_a_manifest_only_bundle_uses_the_placeholder_url()
    {
        var reply = await _edge.PostUpdatesAsync(TestProjection.AndroidRequest(("defaultChannel", TestProjection.ManifestOnly)));

        var body = PluginReply.AssertOffer(reply);
        Assert.Equal("https://404.capgo.app/no.zip", (string)body["url"]!);
        JsonTree.AssertEqual(Vectors.Object(Vectors.ReplyUpdateAvailableManifest)["manifest"], body["manifest"]);
        Assert.False(body.ContainsKey("link"));
        Assert.False(body.ContainsKey("comment"));
    }

    [Fact]
    public async Task An_empty_link_is_absent_and_the_comment_present()
    {
        var reply = await _edge.PostUpdatesAsync(TestProjection.AndroidRequest(("defaultChannel", TestProjection.CommentOnly)));

        var body = PluginReply.AssertOffer(reply);
        Assert.False(body.ContainsKey("link"), body.ToJsonString());
        Assert.Equal(TestProjection.OnlyComment, (string)body["comment"]!);
    }

    [Fact]
    public async Task An_app_that_does_not_expose_metadata_gets_no_link_or_comment()
    {
        var reply = await _edge.PostUpdatesAsync(TestProjection.AndroidRequest(("app_id", TestProjection.QuietAppId)));

        var body = PluginReply.AssertOffer(reply);
        var expected = Vectors.Object(Vectors.ReplyUpdateAvailableManifest);
        expected.Remove("link");
        expected.Remove("comment");
        JsonTree.AssertEqual(expected, body);
    }
}

using System.Globalization;
using System.Text.Json.Nodes;
using Capgo.Edge.Contracts.V1;
using Capgo.Edge.Server.Tests.Infrastructure;
using Capgo.Edge.Tests.Support;
using Google.Protobuf;
using Grpc.Core;

namespace Capgo.Edge.Server.Tests;

/// <summary>The same checks over a real gRPC client on the HTTP/2 cleartext endpoint.</summary>
[Collection(GoldenEdgeDefinition.Name)]
public sealed class GrpcTests
{
    private const string GenerationTrailer = "x-capgo-generation";
    private const string ErrorTrailer = "capgo-error";

    private static readonly JsonParser Parser = new(JsonParser.Settings.Default.WithIgnoreUnknownFields(true));

    private readonly TestEdge _edge;

    public GrpcTests(GoldenEdgeFixture fixture) => _edge = fixture.Edge;

    private static UpdateRequest Request(JsonObject body) => Parser.Parse<UpdateRequest>(body.ToJsonString());

    private static UpdateRequest Vector(string name) => Request(Vectors.Object(name));

    /// <summary>The reply as the plugin's JSON: without <c>generation</c>, which only gRPC carries in the body.</summary>
    private static JsonObject AsJson(UpdateReply reply)
    {
        var body = reply.Clone();
        body.ClearGeneration();
        return Assert.IsType<JsonObject>(JsonNode.Parse(JsonFormatter.Default.Format(body)));
    }

    private async Task<(UpdateReply Reply, Metadata Trailers)> CheckAsync(UpdateRequest request)
    {
        using var call = _edge.Client.CheckForUpdateAsync(request, deadline: DateTime.UtcNow.AddSeconds(30));
        var reply = await call.ResponseAsync;
        return (reply, call.GetTrailers());
    }

    private async Task<RpcException> CheckFailsAsync(UpdateRequest request)
    {
        using var call = _edge.Client.CheckForUpdateAsync(request, deadline: DateTime.UtcNow.AddSeconds(30));
        return await Assert.ThrowsAsync<RpcException>(() => call.ResponseAsync);
    }

    [Fact]
    public async Task Offer_fields_are_typed_and_match_the_manifest_vector()
    {
        var expected = Vectors.Object(Vectors.ReplyUpdateAvailableManifest);

        var (reply, _) = await CheckAsync(Vector(Vectors.AndroidRequest));

        Assert.False(reply.HasError);
        Assert.False(reply.HasKind);
        Assert.False(reply.HasMessage);
        Assert.Equal((string)expected["version"]!, reply.Version);
        Assert.Equal((string)expected["url"]!, reply.Url);
        Assert.True(reply.HasSessionKey, "session_key is always present on an offer");
        Assert.Equal((string)expected["session_key"]!, reply.SessionKey);
        Assert.True(reply.HasChecksum);
        Assert.Equal((string)expected["checksum"]!, reply.Checksum);
        var file = Assert.Single(reply.Manifest);
        var expectedFile = expected["manifest"]![0]!;
        Assert.Equal((string)expectedFile["file_name"]!, file.FileName);
        Assert.Equal((string)expectedFile["file_hash"]!, file.FileHash);
        Assert.Equal((string)expectedFile["download_url"]!, file.DownloadUrl);
        Assert.Equal((string)expected["link"]!, reply.Link);
        Assert.Equal((string)expected["comment"]!, reply.Comment);
        JsonTree.AssertEqual(expected, AsJson(reply));
    }

    [Fact]
    public async Task Offer_without_manifest_for_an_old_plugin_matches_the_vector()
    {
        var (reply, _) = await CheckAsync(Vector(Vectors.OldPluginRequest));

        Assert.Empty(reply.Manifest);
        Assert.False(reply.HasLink);
        Assert.False(reply.HasComment);
        Assert.False(reply.HasError);
        Assert.False(reply.HasKind);
        JsonTree.AssertEqual(Vectors.Object(Vectors.ReplyUpdateAvailable), AsJson(reply));
    }

    [Fact]
    public async Task Up_to_date_outcome_fields()
    {
        var expected = Vectors.Object(Vectors.ReplyUpToDate);

        var (reply, _) = await CheckAsync(Request(TestProjection.AndroidRequest(("version_name", TestProjection.OfferedVersion))));

        Assert.Equal((string)expected["error"]!, reply.Error);
        Assert.Equal((string)expected["message"]!, reply.Message);
        Assert.Equal((string)expected["kind"]!, reply.Kind);
        Assert.False(reply.HasVersion);
        Assert.False(reply.HasUrl);
        Assert.False(reply.HasMajor);
        JsonTree.AssertEqual(expected, AsJson(reply));
    }

    [Fact]
    public async Task Blocked_major_outcome_fields()
    {
        var expected = Vectors.Object(Vectors.ReplyBlockedMajor);

        var (reply, _) = await CheckAsync(Request(TestProjection.AndroidRequest(
            ("defaultChannel", TestProjection.Next),
            ("version_build", expected["old"]!.DeepClone()))));

        Assert.Equal((string)expected["error"]!, reply.Error);
        Assert.Equal((string)expected["message"]!, reply.Message);
        Assert.Equal((string)expected["kind"]!, reply.Kind);
        Assert.Equal((string)expected["version"]!, reply.Version);
        Assert.Equal((string)expected["old"]!, reply.Old);
        Assert.True(reply.HasMajor);
        Assert.True(reply.Major);
        Assert.False(reply.HasUrl);
        JsonTree.AssertEqual(expected, AsJson(reply));
    }

    [Theory]
    [InlineData(TestProjection.UnknownAppId)]
    [InlineData(TestProjection.CancelledAppId)]
    public async Task Unknown_or_inactive_app_is_resource_exhausted_with_the_error_trailer(string appId)
    {
        var ex = await CheckFailsAsync(Request(TestProjection.AndroidRequest(("app_id", appId))));

        Assert.Equal(StatusCode.ResourceExhausted, ex.StatusCode);
        Assert.Equal((string)Vectors.Object(Vectors.ReplyUnknownApp429)["error"]!, ex.Trailers.GetValue(ErrorTrailer));
        Assert.Equal((string)Vectors.Object(Vectors.ReplyUnknownApp429)["message"]!, ex.Status.Detail);
    }

    [Fact]
    public async Task An_inactive_app_names_its_generation_on_both_transports_and_an_unknown_one_none()
    {
        var cancelled = await CheckFailsAsync(Request(TestProjection.AndroidRequest(("app_id", TestProjection.CancelledAppId))));
        var http = await _edge.PostUpdatesAsync(TestProjection.AndroidRequest(("app_id", TestProjection.CancelledAppId)));
        var unknown = await CheckFailsAsync(Request(TestProjection.AndroidRequest(("app_id", TestProjection.UnknownAppId))));

        Assert.NotNull(http.Generation);
        Assert.Equal(http.Generation?.ToString(CultureInfo.InvariantCulture), cancelled.Trailers.GetValue(GenerationTrailer));
        Assert.Null(unknown.Trailers.GetValue(GenerationTrailer));
    }

    [Theory]
    [InlineData("device_id", "not-a-uuid", "invalid_json_body")]
    [InlineData("device_id", null, "missing_device_id")]
    [InlineData("app_id", null, "missing_app_id")]
    [InlineData("app_id", "[appid]", "invalid_json_body")]
    [InlineData("platform", "windows", "invalid_json_body")]
    [InlineData("plugin_version", "eight", "invalid_json_body")]
    [InlineData("version_build", "1.2.3.4.5", "semver_error")]
    [InlineData("version_name", null, "invalid_json_body")]
    public async Task Invalid_request_is_invalid_argument_with_the_error_trailer(string field, string? value, string code)
    {
        var ex = await CheckFailsAsync(Request(TestProjection.AndroidRequest((field, value))));

        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.Equal(code, ex.Trailers.GetValue(ErrorTrailer));
        Assert.False(string.IsNullOrEmpty(ex.Status.Detail));
    }

    [Fact]
    public async Task An_empty_message_is_invalid_argument()
    {
        var ex = await CheckFailsAsync(new UpdateRequest());

        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.Equal("invalid_json_body", ex.Trailers.GetValue(ErrorTrailer));
    }

    [Fact]
    public async Task Every_gRPC_reply_names_its_generation_in_a_field_that_matches_the_HTTP_header()
    {
        var (offer, offerTrailers) = await CheckAsync(Vector(Vectors.AndroidRequest));
        var (upToDate, _) = await CheckAsync(Request(TestProjection.AndroidRequest(("version_name", TestProjection.OfferedVersion))));

        // A reply made for this request alone (it quotes the request's version), not a shared one.
        var (blocked, _) = await CheckAsync(Request(TestProjection.AndroidRequest(("defaultChannel", TestProjection.Next), ("version_build", "1.2.0"))));
        var http = await _edge.PostUpdatesAsync(Vectors.Bytes(Vectors.AndroidRequest));

        Assert.True(offer.HasGeneration && offer.Generation > 0, "the offer names no generation");
        Assert.Equal(offer.Generation, upToDate.Generation);
        Assert.True(blocked.HasOld, blocked.ToString());
        Assert.Equal(offer.Generation, blocked.Generation);
        Assert.Equal(offer.Generation, http.Generation);
        Assert.Null(offerTrailers.GetValue(GenerationTrailer));
        Assert.DoesNotContain("generation", System.Text.Encoding.UTF8.GetString(http.Body), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_same_request_gives_the_same_answer_on_both_transports()
    {
        foreach (var name in Vectors.RequestNames())
        {
            var (grpc, _) = await CheckAsync(Vector(name));
            var http = await _edge.PostUpdatesAsync(Vectors.Bytes(name));

            JsonTree.AssertEqual(http.Json(), AsJson(grpc));
        }
    }

    [Fact]
    public async Task Offer_of_a_bundle_without_checksum_or_session_key_has_both_fields_present()
    {
        var (reply, _) = await CheckAsync(Request(TestProjection.AndroidRequest(("defaultChannel", TestProjection.Bare))));

        Assert.True(reply.HasSessionKey);
        Assert.True(reply.HasChecksum);
        Assert.Equal("", reply.SessionKey);
        Assert.Equal("", reply.Checksum);
        Assert.False(reply.HasError);
        Assert.False(reply.HasKind);
    }

    [Fact]
    public async Task Offer_of_a_manifest_only_bundle_uses_the_placeholder_url()
    {
        var (reply, _) = await CheckAsync(Request(TestProjection.AndroidRequest(("defaultChannel", TestProjection.ManifestOnly))));

        Assert.Equal("https://404.capgo.app/no.zip", reply.Url);
        Assert.Single(reply.Manifest);
        Assert.False(reply.HasError);
    }

    [Fact]
    public async Task Echo_returns_its_payload_over_gRPC()
    {
        var reply = await _edge.Client.EchoAsync(new EchoRequest { Payload = "héllo ✓" }, deadline: DateTime.UtcNow.AddSeconds(30));

        Assert.Equal("héllo ✓", reply.Payload);
    }
}

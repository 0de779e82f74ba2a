using System.IO.Compression;
using System.Net;
using Capgo.Edge.Contracts.V1;
using Capgo.Edge.Server.Tests.Infrastructure;
using Capgo.Edge.Tests.Support;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Capgo.Edge.Server.Tests.Updates;

/// <summary>
/// What a gRPC client that sends bytes the edge cannot use gets back: a status a client causes and the
/// contract's code, never UNKNOWN (the status of a server fault), and never an answer that breaks the
/// client's connection. Calls are made by hand (<see cref="RawGrpc"/>) so any bytes go under the real method.
/// </summary>
[Collection(GoldenEdgeDefinition.Name)]
public sealed class GrpcRefusalTests(GoldenEdgeFixture fixture) : IDisposable
{
    private static readonly JsonParser Parser = new(JsonParser.Settings.Default.WithIgnoreUnknownFields(true));

    private readonly TestEdge _edge = fixture.Edge;
    private readonly HttpClient _client = RawGrpc.Client(fixture.Edge.GrpcBase);

    public static TheoryData<string, byte[]> Malformed { get; } = new()
    {
        { "truncated string", [0x0A, 0x05, (byte)'a'] },
        { "truncated varint", [0x38, 0x80] },
        { "wire type 6", [0x0E, 0x01] },
        { "field number 0", [0x00, 0x01] },
        { "length past any int", [0x0A, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F] },
        { "end group with none open", [0x0C] },
        { "groups nested past the recursion limit", [.. Enumerable.Repeat((byte)0x7B, 200)] },
        { "invalid UTF-8 in a string", [0x0A, 0x02, 0xC3, 0x28] },
    };

    public void Dispose() => _client.Dispose();

    [Theory]
    [MemberData(nameof(Malformed))]
    public async Task Bytes_that_are_not_the_message_are_invalid_argument_with_the_parse_error_code(string what, byte[] payload)
    {
        foreach (var path in new[] { RawGrpc.CheckPath, RawGrpc.EchoPath })
        {
            var answer = await SendAsync(path, RawGrpc.Frame(payload));

            Assert.True(answer.Status == StatusCode.InvalidArgument, $"{what} to {path}: {answer.Name} {answer.Message}");
            Assert.Equal("invalid_json_parse_body", answer.Error);
        }
    }

    [Fact]
    public async Task A_refusal_that_quotes_a_huge_value_keeps_its_status_short_and_the_connection_usable()
    {
        // 40 KB of two-byte characters: percent-encoded in grpc-message, 120 KB of trailers in full.
        var request = Request(TestProjection.AndroidRequest(("version_build", new string('é', 20_000))));

        var answer = await SendAsync(RawGrpc.CheckPath, RawGrpc.Frame(request.ToByteArray()));

        Assert.Equal(StatusCode.InvalidArgument, answer.Status);
        Assert.Equal("semver_error", answer.Error);
        Assert.InRange(answer.Message!.Length, 1, 8 * 1024);
        var after = await SendAsync(RawGrpc.CheckPath, RawGrpc.Frame(Request(TestProjection.AndroidRequest()).ToByteArray()));
        Assert.Equal(StatusCode.OK, after.Status);
    }

    [Theory]
    [InlineData(64 * 1024 + 1)]
    [InlineData(2 * 1024 * 1024)]
    public async Task A_message_over_the_body_limit_is_resource_exhausted_even_past_kestrels_limit(int size)
    {
        // A valid request whose OS version pads it to the size: only its length is wrong.
        var request = Request(TestProjection.AndroidRequest());
        request.VersionOs = "";
        request.VersionOs = new string('x', size - request.CalculateSize());
        request.VersionOs = new string('x', request.VersionOs.Length + size - request.CalculateSize());
        var payload = request.ToByteArray();
        Assert.Equal(size, payload.Length);

        var answer = await SendAsync(RawGrpc.CheckPath, RawGrpc.Frame(payload));

        Assert.Equal(StatusCode.ResourceExhausted, answer.Status);
        Assert.Equal("Received message exceeds the maximum configured message size.", answer.Message);
    }

    [Fact]
    public async Task A_compressed_message_is_unimplemented_and_not_inflated()
    {
        // 64 MiB of zeros in 64 KiB of gzip: inflated, it would cost the edge 64 MiB.
        using var packed = new MemoryStream();
        using (var gzip = new GZipStream(packed, CompressionLevel.SmallestSize, leaveOpen: true))
        {
            gzip.Write(new byte[64 * 1024 * 1024]);
        }

        using var request = RawGrpc.Request(RawGrpc.CheckPath, RawGrpc.Frame(packed.ToArray(), flag: 1));
        request.Headers.Add("grpc-encoding", "gzip");
        var answer = await RawGrpc.SendAsync(_client, request);

        Assert.Equal(StatusCode.Unimplemented, answer.Status);
        Assert.Equal("identity", answer.AcceptEncoding);
    }

    [Fact]
    public void Only_the_grpc_methods_go_without_kestrels_body_limit_and_the_transcoded_json_routes_keep_it()
    {
        var endpoints = _edge.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>().ToList();

        foreach (var path in new[] { RawGrpc.CheckPath, RawGrpc.EchoPath })
        {
            var method = endpoints.Single(e => e.RoutePattern.RawText == path);
            Assert.Null(Assert.IsAssignableFrom<IRequestSizeLimitMetadata>(method.Metadata.GetMetadata<IRequestSizeLimitMetadata>()).MaxRequestBodySize);
        }

        var echo = endpoints.Single(static e => e.RoutePattern.RawText == "/echo");
        Assert.Null(echo.Metadata.GetMetadata<IRequestSizeLimitMetadata>());
    }

    private static UpdateRequest Request(System.Text.Json.Nodes.JsonObject body) => Parser.Parse<UpdateRequest>(body.ToJsonString());

    private async Task<RawGrpcAnswer> SendAsync(string path, byte[] body)
    {
        using var request = RawGrpc.Request(path, body);
        var answer = await RawGrpc.SendAsync(_client, request);
        Assert.Equal(HttpStatusCode.OK, answer.Http);
        return answer;
    }
}

using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;

namespace Capgo.Edge.Server.Tests.Infrastructure;

/// <summary>
/// gRPC calls made by hand over HTTP/2 cleartext, so any bytes can go under a real method name: the
/// 5-byte frame prefix (compressed flag, big-endian length) is the caller's to write, or to get wrong.
/// </summary>
internal static class RawGrpc
{
    public const string CheckPath = "/capgo.edge.v1.UpdateService/CheckForUpdate";
    public const string EchoPath = "/capgo.edge.v1.UpdateService/Echo";

    /// <summary>A client for the edge's gRPC port: one multiplexed HTTP/2 connection.</summary>
    public static HttpClient Client(Uri grpcBase) => new(new SocketsHttpHandler { PooledConnectionLifetime = Timeout.InfiniteTimeSpan })
    {
        BaseAddress = grpcBase,
        Timeout = TimeSpan.FromSeconds(60),
    };

    /// <summary>One length-prefixed message, its compressed flag set to <paramref name="flag"/>.</summary>
    public static byte[] Frame(ReadOnlySpan<byte> payload, byte flag = 0)
    {
        var frame = new byte[5 + payload.Length];
        frame[0] = flag;
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(1), (uint)payload.Length);
        payload.CopyTo(frame.AsSpan(5));
        return frame;
    }

    /// <summary>A call as a gRPC client makes it: HTTP/2 with prior knowledge, <c>application/grpc</c>, <c>te: trailers</c>.</summary>
    public static HttpRequestMessage Request(string path, byte[] body)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path)
        {
            Content = new ByteArrayContent(body),
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/grpc");
        request.Headers.TE.Add(new TransferCodingWithQualityHeaderValue("trailers"));
        return request;
    }

    public static async Task<RawGrpcAnswer> SendAsync(HttpClient client, HttpRequestMessage request)
    {
        using var response = await client.SendAsync(request).ConfigureAwait(false);
        var body = await response.Content.ReadAsByteArrayAsync().ConfigureAwait(false);
        var status = Header(response, "grpc-status");
        return new RawGrpcAnswer(
            response.StatusCode,
            int.TryParse(status, NumberStyles.None, CultureInfo.InvariantCulture, out var code) ? (Grpc.Core.StatusCode)code : null,
            Header(response, "capgo-error"),
            Header(response, "grpc-message"),
            Header(response, "grpc-accept-encoding"),
            body);
    }

    /// <summary>A trailer, or the header of that name in a trailers-only answer.</summary>
    private static string? Header(HttpResponseMessage response, string name) =>
        response.TrailingHeaders.TryGetValues(name, out var values) || response.Headers.TryGetValues(name, out values) ? values.FirstOrDefault() : null;
}

/// <summary>What a hand-made call got back: the HTTP status, the gRPC status and trailers, the body.</summary>
internal sealed record RawGrpcAnswer(HttpStatusCode Http, Grpc.Core.StatusCode? Status, string? Error, string? Message, string? AcceptEncoding, byte[] Body)
{
    /// <summary>The histogram's name of the answer: the status, with the <c>capgo-error</c> trailer when there is one.</summary>
    public string Name => Http != HttpStatusCode.OK
        ? "http " + (int)Http
        : (Status?.ToString() ?? "no-status") + (Error is null ? "" : $"({Error})");
}

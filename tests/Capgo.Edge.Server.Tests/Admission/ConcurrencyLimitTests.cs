using System.Net;
using System.Net.Sockets;
using System.Text;
using Capgo.Edge.Contracts.V1;
using Capgo.Edge.Server.Admission;
using Capgo.Edge.Server.Tests.Infrastructure;
using Capgo.Edge.Server.Tests.Stats;
using Capgo.Edge.Tests.Support;
using Google.Protobuf;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using static Capgo.Edge.Server.Tests.Admission.AdmissionHttp;
using static Capgo.Edge.Server.Tests.ChannelSelf.PluginApps;

namespace Capgo.Edge.Server.Tests.Admission;

/// <summary>
/// The edge-wide limits: requests in flight on the plugin routes (<c>Admission:MaxConcurrentPluginRequests</c>)
/// and Kestrel's connections (<c>Kestrel:Limits:MaxConcurrentConnections</c>), held open with raw sockets.
/// </summary>
public sealed class ConcurrencyLimitTests
{
    /// <summary>Sends a request's headers and the first half of its body, and leaves it waiting for the rest.</summary>
    private static async Task<(TcpClient Client, NetworkStream Stream, byte[] Remainder)> StartRequestAsync(TestEdge edge, string path, string body)
    {
        var bytes = Encoding.UTF8.GetBytes(body);
        var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, edge.HttpPort);
        var stream = client.GetStream();
        var head = $"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {bytes.Length}\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head));
        await stream.WriteAsync(bytes.AsMemory(0, bytes.Length / 2));
        return (client, stream, bytes[(bytes.Length / 2)..]);
    }

    /// <summary>Reads until the peer has sent a whole reply head, or closed; the text read (empty when closed at once).</summary>
    private static async Task<string> ReadHeadAsync(NetworkStream stream)
    {
        var buffer = new byte[4096];
        var text = new StringBuilder();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        try
        {
            while (!text.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
            {
                var read = await stream.ReadAsync(buffer, timeout.Token);
                if (read == 0)
                {
                    break;
                }

                text.Append(Encoding.ASCII.GetString(buffer, 0, read));
            }
        }
        catch (IOException)
        {
            // Reset by the server: no reply.
        }

        return text.ToString();
    }

    [Fact]
    public async Task Past_the_plugin_requests_in_flight_a_check_gets_the_contract_429_and_grpc_is_not_counted()
    {
        using var directory = new TempDirectory();
        await using var edge = await StartEdgeAsync(directory, [Sample()], "--Admission:MaxConcurrentPluginRequests=1");

        // A slow /stats upload holds the only place.
        var (client, stream, rest) = await StartRequestAsync(edge, "/stats", StatsBodies.Event(NewDevice()).ToJsonString());
        using (client)
        {
            HttpReply? refused = null;
            await Eventually.TrueAsync(
                async () => (refused = await edge.PostUpdatesAsync(Body(NewPlugin, NewDevice()))).Status == HttpStatusCode.TooManyRequests,
                "a check to find the plugin routes full");
            Assert.Equal(1, AssertTooManyRequests(refused!, AdmissionExtensions.RefusedMessage));
            AssertTooManyRequests(await edge.RequestAsync(HttpMethod.Put, "/channel_self", Body(OldPlugin, NewDevice()), null));

            // gRPC and the probes are no plugin routes.
            var reply = await edge.Client.CheckForUpdateAsync(
                new JsonParser(JsonParser.Settings.Default).Parse<UpdateRequest>(Body(NewPlugin, NewDevice()).ToJsonString()),
                deadline: DateTime.UtcNow.AddSeconds(30));
            Assert.Contains(reply.Version, ProductionVersions);
            Assert.Equal(HttpStatusCode.OK, (await edge.GetAsync("/healthz/live")).Status);

            // The slow upload completes normally, and its place is free again.
            await stream.WriteAsync(rest);
            Assert.StartsWith("HTTP/1.1 200", await ReadHeadAsync(stream), StringComparison.Ordinal);
        }

        await Eventually.TrueAsync(
            async () => (await edge.PostUpdatesAsync(Body(NewPlugin, NewDevice()))).Status == HttpStatusCode.OK,
            "checks to be admitted again");
    }

    [Fact]
    public async Task Kestrel_holds_ten_thousand_connections_at_most_unless_configured()
    {
        using var directory = new TempDirectory();
        await using var edge = await StartEdgeAsync(directory, [Sample()]);
        Assert.Equal(10_000, edge.Services.GetRequiredService<IOptions<KestrelServerOptions>>().Value.Limits.MaxConcurrentConnections);
    }

    [Fact]
    public async Task Past_kestrels_connection_limit_a_new_connection_is_closed_unanswered()
    {
        using var directory = new TempDirectory();
        await using var edge = await StartEdgeAsync(directory, [Sample()], "--Kestrel:Limits:MaxConcurrentConnections=2");
        const string Probe = "GET /healthz/live HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";

        async Task<(TcpClient Client, string Head)> ConnectAsync()
        {
            var client = new TcpClient();
            await client.ConnectAsync(IPAddress.Loopback, edge.HttpPort);
            var stream = client.GetStream();
            await stream.WriteAsync(Encoding.ASCII.GetBytes(Probe));
            return (client, await ReadHeadAsync(stream));
        }

        var (first, firstHead) = await ConnectAsync();
        var (second, secondHead) = await ConnectAsync();
        Assert.StartsWith("HTTP/1.1 200", firstHead, StringComparison.Ordinal);
        Assert.StartsWith("HTTP/1.1 200", secondHead, StringComparison.Ordinal);

        var (third, thirdHead) = await ConnectAsync();
        Assert.Equal("", thirdHead);
        third.Dispose();

        // Closing one kept-alive connection gives its place back.
        first.Dispose();
        await Eventually.TrueAsync(
            async () =>
            {
                var (next, head) = await ConnectAsync();
                next.Dispose();
                return head.StartsWith("HTTP/1.1 200", StringComparison.Ordinal);
            },
            "a new connection to be served");
        second.Dispose();
    }
}

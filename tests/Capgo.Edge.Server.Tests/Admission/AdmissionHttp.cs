using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Capgo.Edge.Server.Tests.Infrastructure;
using Capgo.Edge.Tests.Support;

namespace Capgo.Edge.Server.Tests.Admission;

/// <summary>Plugin requests from a chosen client address (forwarded by the trusted proxy 127.0.0.1), and the 429 they may get.</summary>
internal static class AdmissionHttp
{
    /// <summary>The edge trusts the test process as its proxy, so <c>X-Forwarded-For</c> names the client.</summary>
    public const string TrustLoopback = "--Abuse:TrustedProxies:0=127.0.0.1";

    public static Task<HttpReply> RequestAsync(this TestEdge edge, HttpMethod method, string path, JsonNode? body, string? client)
    {
        void Forward(HttpRequestMessage request)
        {
            if (client is not null)
            {
                request.Headers.Add("X-Forwarded-For", client);
            }
        }

        return body is null
            ? edge.SendAsync(method, path, null, Forward)
            : edge.SendJsonAsync(method, path, body.ToJsonString(), Forward);
    }

    /// <summary>
    /// 429 <c>too_many_requests</c> as the contract shapes it: the error body with
    /// <c>moreInfo.retryAfterSeconds</c> equal to the <c>Retry-After</c> header, at least 1 s. Returns the seconds.
    /// </summary>
    public static int AssertTooManyRequests(HttpReply reply, string? message = null)
    {
        var body = PluginReply.AssertNoUpdate(reply, HttpStatusCode.TooManyRequests);
        Assert.Equal("too_many_requests", (string)body["error"]!);
        if (message is not null)
        {
            Assert.Equal(message, (string)body["message"]!);
        }

        var header = reply.Header("Retry-After");
        Assert.True(header is not null, $"no Retry-After header: {reply}");
        var seconds = int.Parse(header, CultureInfo.InvariantCulture);
        Assert.True(seconds >= 1, $"Retry-After {seconds}");
        Assert.Equal(seconds, (int)body["moreInfo"]!["retryAfterSeconds"]!);
        return seconds;
    }

    /// <summary>Token-bucket settings that never refill during a test: exactly <paramref name="tokens"/> requests pass.</summary>
    public static string[] Bucket(string name, int tokens) =>
    [
        $"--Admission:{name}:TokenLimit={tokens.ToString(CultureInfo.InvariantCulture)}",
        $"--Admission:{name}:TokensPerPeriod=1",
        $"--Admission:{name}:ReplenishmentPeriod=1.00:00:00",
    ];

    /// <summary>A bucket no test exhausts.</summary>
    public static string[] Unlimited(string name) =>
    [
        $"--Admission:{name}:TokenLimit=10000000",
        $"--Admission:{name}:TokensPerPeriod=10000000",
    ];
}

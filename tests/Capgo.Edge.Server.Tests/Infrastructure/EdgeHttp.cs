using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Capgo.Edge.Tests.Support;
using Xunit.Sdk;

namespace Capgo.Edge.Server.Tests.Infrastructure;

/// <summary>One HTTP reply, read whole.</summary>
internal sealed record HttpReply(HttpStatusCode Status, string? MediaType, byte[] Body, HttpResponseMessage Message)
{
    public string Text => Encoding.UTF8.GetString(Body);

    /// <summary>The <c>x-capgo-generation</c> header as a number, or null when absent.</summary>
    public long? Generation =>
        Message.Headers.TryGetValues("x-capgo-generation", out var values)
            ? long.Parse(values.Single(), CultureInfo.InvariantCulture)
            : null;

    /// <summary>The body as a JSON object; fails the test otherwise.</summary>
    public JsonObject Json()
    {
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(Body);
        }
        catch (JsonException ex)
        {
            throw new XunitException($"HTTP {(int)Status}: the body is not JSON ({ex.Message}): {Describe(Text)}");
        }

        return node as JsonObject ?? throw new XunitException($"HTTP {(int)Status}: the body is not a JSON object: {Describe(Text)}");
    }

    public override string ToString() => $"HTTP {(int)Status} {MediaType}: {Describe(Text)}";

    private static string Describe(string text) => text.Length > 300 ? text[..300] + "…" : text;
}

/// <summary>Requests to a <see cref="TestEdge"/>, each reply read whole.</summary>
internal static class EdgeHttp
{
    public const string PluginContentType = "application/json; charset=utf-8";

    public static Task<HttpReply> PostUpdatesAsync(this TestEdge edge, JsonNode body) =>
        edge.PostAsync("/updates", Encoding.UTF8.GetBytes(body.ToJsonString()));

    public static Task<HttpReply> PostUpdatesAsync(this TestEdge edge, string body, string? contentType = PluginContentType) =>
        edge.PostAsync("/updates", Encoding.UTF8.GetBytes(body), contentType);

    public static Task<HttpReply> PostUpdatesAsync(this TestEdge edge, byte[] body, string? contentType = PluginContentType) =>
        edge.PostAsync("/updates", body, contentType);

    public static async Task<HttpReply> PostAsync(this TestEdge edge, string path, byte[] body, string? contentType = PluginContentType)
    {
        using var content = new ByteArrayContent(body);
        if (contentType is not null)
        {
            content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        }

        return await edge.SendAsync(HttpMethod.Post, path, content);
    }

    /// <summary>Sends a JSON body with the plugin's content type.</summary>
    public static Task<HttpReply> SendJsonAsync(this TestEdge edge, HttpMethod method, string path, JsonNode body) =>
        edge.SendJsonAsync(method, path, body.ToJsonString());

    public static async Task<HttpReply> SendJsonAsync(this TestEdge edge, HttpMethod method, string path, string body, Action<HttpRequestMessage>? configure = null)
    {
        using var content = new ByteArrayContent(Encoding.UTF8.GetBytes(body));
        content.Headers.ContentType = MediaTypeHeaderValue.Parse(PluginContentType);
        return await edge.SendAsync(method, path, content, configure);
    }

    public static async Task<HttpReply> SendAsync(this TestEdge edge, HttpMethod method, string path, HttpContent? content = null, Action<HttpRequestMessage>? configure = null)
    {
        using var request = new HttpRequestMessage(method, path) { Content = content };
        configure?.Invoke(request);
        return await ReadAsync(await edge.Http.SendAsync(request));
    }

    public static Task<HttpReply> GetAsync(this TestEdge edge, string path) => edge.SendAsync(HttpMethod.Get, path);

    /// <summary>A GET on the admin endpoint of an edge started with <see cref="TestEdgeOptions.Admin"/>, with its key.</summary>
    public static async Task<HttpReply> AdminGetAsync(this TestEdge edge, string path)
    {
        var admin = edge.Admin ?? throw new InvalidOperationException("the edge was started without the admin endpoint");
        return await ReadAsync(await admin.GetAsync(path));
    }

    /// <summary>A GET on the admin endpoint with <paramref name="key"/> as <c>x-api-key</c>, or no key when null.</summary>
    public static async Task<HttpReply> AdminGetAsync(this TestEdge edge, string path, string? key)
    {
        using var client = new HttpClient { BaseAddress = edge.AdminBase ?? throw new InvalidOperationException("the edge was started without the admin endpoint") };
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (key is not null)
        {
            request.Headers.Add("x-api-key", key);
        }

        return await ReadAsync(await client.SendAsync(request));
    }

    private static async Task<HttpReply> ReadAsync(HttpResponseMessage response)
    {
        var bytes = await response.Content.ReadAsByteArrayAsync();
        return new HttpReply(response.StatusCode, response.Content.Headers.ContentType?.MediaType, bytes, response);
    }

    /// <summary>The single header value, or null.</summary>
    public static string? Header(this HttpReply reply, string name) =>
        reply.Message.Headers.TryGetValues(name, out var values) ? values.Single() : null;
}

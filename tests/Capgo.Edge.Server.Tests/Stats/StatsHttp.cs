using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Capgo.Edge.Tests.Support;

namespace Capgo.Edge.Server.Tests.Stats;

/// <summary>Posts to <c>/stats</c> (or another plugin path) with the reply as status, raw text and JSON.</summary>
public static class StatsHttp
{
    /// <summary>Posts a raw body and returns the status, the raw reply and its JSON (default when not JSON).</summary>
    public static async Task<(int Status, string Text, JsonElement Json)> PostAsync(this TestEdge edge, string body, string path = "/stats")
    {
        using var content = new StringContent(body, Encoding.UTF8);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        return await ReadAsync(edge, content, path);
    }

    public static async Task<(int Status, string Text, JsonElement Json)> PostBytesAsync(this TestEdge edge, byte[] body, string path = "/stats")
    {
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return await ReadAsync(edge, content, path);
    }

    public static Task<(int Status, string Text, JsonElement Json)> PostAsync(this TestEdge edge, JsonNode body) => edge.PostAsync(body.ToJsonString());

    private static async Task<(int Status, string Text, JsonElement Json)> ReadAsync(TestEdge edge, HttpContent content, string path)
    {
        using var response = await edge.Http.PostAsync(path, content);
        var text = await response.Content.ReadAsStringAsync();
        JsonElement json = default;
        try
        {
            json = JsonDocument.Parse(text).RootElement.Clone();
        }
        catch (JsonException)
        {
            // Not JSON: the caller asserts on the status and the text.
        }

        return ((int)response.StatusCode, text, json);
    }
}

using System.Net.Http.Json;
using System.Text.Json;

namespace Capgo.Edge.Tests.Support;

/// <summary>The update check the Redis and command-line tests make of an edge.</summary>
public static class EdgeChecks
{
    /// <summary>Posts a plugin body and returns the status and the JSON reply.</summary>
    public static async Task<(int Status, JsonElement Body)> CheckAsync(this TestEdge edge, object body)
    {
        using var response = await edge.Http.PostAsJsonAsync("/updates", body);
        var json = await response.Content.ReadFromJsonAsync<JsonElement>();
        return ((int)response.StatusCode, json);
    }
}

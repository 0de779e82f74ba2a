using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Xunit.Sdk;

namespace Capgo.Edge.Server.Tests.Infrastructure;

/// <summary>What the real plugin requires of a reply (plugin-protocol.md, "How it reads the reply").</summary>
internal static class PluginReply
{
    private static readonly string[] StringFields = ["version", "checksum", "url", "message", "error", "kind", "session_key", "link", "comment", "old"];
    private static readonly string[] BooleanFields = ["major", "breaking"];

    /// <summary>An offer: the plugin takes it as an update. Returns the parsed body.</summary>
    public static JsonObject AssertOffer(HttpReply reply)
    {
        Assert.True(reply.Status == HttpStatusCode.OK, $"expected 200, got {reply}");
        Assert.Equal("application/json", reply.MediaType);
        var body = reply.Json();
        AssertOffer(body);
        return body;
    }

    public static void AssertOffer(JsonObject body)
    {
        var text = body.ToJsonString();
        Assert.False(body.ContainsKey("error"), $"an offer must not have an 'error' key: {text}");
        Assert.False(body.ContainsKey("kind"), $"an offer must not have a 'kind' key: {text}");
        Assert.False(body.ContainsKey("message"), $"an offer has no 'message': {text}");
        foreach (var required in new[] { "version", "url", "checksum", "session_key" })
        {
            Assert.True(body.ContainsKey(required), $"an offer always has '{required}': {text}");
        }

        Assert.NotEqual("", (string)body["version"]!);
        Assert.NotEqual("", (string)body["url"]!);
        AssertTypes(body);
    }

    /// <summary>A no-update / blocked / failed reply: the plugin reads it as "no update". Returns the parsed body.</summary>
    public static JsonObject AssertNoUpdate(HttpReply reply, HttpStatusCode status = HttpStatusCode.OK)
    {
        Assert.True(reply.Status == status, $"expected {(int)status}, got {reply}");
        Assert.Equal("application/json", reply.MediaType);
        var body = reply.Json();
        AssertError(body);
        return body;
    }

    /// <summary>Every non-offer: string <c>error</c> and <c>message</c>, iOS-decodable types.</summary>
    public static void AssertError(JsonObject body)
    {
        var text = body.ToJsonString();
        Assert.True(body["error"] is JsonValue e && e.GetValueKind() == JsonValueKind.String && ((string)e!).Length > 0, $"'error' must be a non-empty string: {text}");
        Assert.True(body["message"] is JsonValue m && m.GetValueKind() == JsonValueKind.String, $"'message' must be a string: {text}");
        if (body.ContainsKey("kind"))
        {
            Assert.Contains((string)body["kind"]!, new[] { "up_to_date", "blocked", "failed" });
        }

        AssertTypes(body);
    }

    /// <summary>The fixed types the iOS decoder expects, and no null anywhere.</summary>
    public static void AssertTypes(JsonObject body)
    {
        var text = body.ToJsonString();
        AssertNoNulls(body, "$");
        foreach (var field in StringFields)
        {
            if (body.TryGetPropertyValue(field, out var value))
            {
                Assert.True(value!.GetValueKind() == JsonValueKind.String, $"'{field}' must be a string: {text}");
            }
        }

        foreach (var field in BooleanFields)
        {
            if (body.TryGetPropertyValue(field, out var value))
            {
                Assert.True(value!.GetValueKind() is JsonValueKind.True or JsonValueKind.False, $"'{field}' must be a boolean: {text}");
            }
        }

        if (body.TryGetPropertyValue("manifest", out var manifest))
        {
            var files = Assert.IsType<JsonArray>(manifest);
            foreach (var file in files)
            {
                var entry = Assert.IsType<JsonObject>(file);
                Assert.Equal(new[] { "download_url", "file_hash", "file_name" }, entry.Select(p => p.Key).Order(StringComparer.Ordinal));
                Assert.All(entry, p => Assert.Equal(JsonValueKind.String, p.Value!.GetValueKind()));
            }
        }

        if (body.TryGetPropertyValue("data", out var data))
        {
            Assert.All(Assert.IsType<JsonObject>(data), p => Assert.Equal(JsonValueKind.String, p.Value!.GetValueKind()));
        }
    }

    public static void AssertNoNulls(JsonNode? node, string path)
    {
        switch (node)
        {
            case null:
                throw new XunitException($"null value at {path}");
            case JsonObject o:
                foreach (var (key, value) in o)
                {
                    AssertNoNulls(value, path + "." + key);
                }

                break;
            case JsonArray a:
                for (var i = 0; i < a.Count; i++)
                {
                    AssertNoNulls(a[i], $"{path}[{i}]");
                }

                break;
        }
    }
}

/// <summary>Semantic JSON comparison: object key order is free, everything else exact.</summary>
internal static class JsonTree
{
    public static void AssertEqual(JsonNode? expected, JsonNode? actual)
    {
        var difference = Difference(expected, actual, "$");
        if (difference is not null)
        {
            throw new XunitException(
                $"JSON trees differ at {difference}\nexpected: {expected?.ToJsonString() ?? "null"}\nactual:   {actual?.ToJsonString() ?? "null"}");
        }
    }

    private static string? Difference(JsonNode? expected, JsonNode? actual, string path)
    {
        if (expected is null || actual is null)
        {
            return expected is null && actual is null ? null : $"{path}: one side is null";
        }

        var kind = expected.GetValueKind();
        if (kind != actual.GetValueKind())
        {
            return $"{path}: {kind} vs {actual.GetValueKind()}";
        }

        switch (expected)
        {
            case JsonObject e:
            {
                var a = (JsonObject)actual;
                foreach (var (key, value) in e)
                {
                    if (!a.TryGetPropertyValue(key, out var other))
                    {
                        return $"{path}.{key}: missing";
                    }

                    if (Difference(value, other, $"{path}.{key}") is { } d)
                    {
                        return d;
                    }
                }

                var extra = a.Select(p => p.Key).FirstOrDefault(k => !e.ContainsKey(k));
                return extra is null ? null : $"{path}.{extra}: unexpected";
            }

            case JsonArray e:
            {
                var a = (JsonArray)actual;
                if (e.Count != a.Count)
                {
                    return $"{path}: {e.Count} items vs {a.Count}";
                }

                for (var i = 0; i < e.Count; i++)
                {
                    if (Difference(e[i], a[i], $"{path}[{i}]") is { } d)
                    {
                        return d;
                    }
                }

                return null;
            }

            default:
                return JsonNode.DeepEquals(expected, actual) ? null : $"{path}: {expected.ToJsonString()} vs {actual.ToJsonString()}";
        }
    }
}

using System.Buffers;
using System.Text.Json;
using System.Text.Unicode;
using Capgo.Edge.Core;
using Capgo.Edge.Server.Events;
using Capgo.Edge.Server.Updates;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;

namespace Capgo.Edge.Server.Plugin;

/// <summary>
/// <c>POST /stats</c> (one event or a batch for one app) and <c>GET /stats</c>, as plugin-endpoints.md
/// describes. Accepted events are handed to <see cref="EventQueue"/>; the reply never waits on Redis.
/// </summary>
internal static class StatsEndpoints
{
    public const string Path = "/stats";

    private const string NotReadyCode = "not_ready";
    private const string NotReadyMessage = "The edge has not loaded a projection yet";

    public static RequestError InvalidAppId { get; } = new("invalid_app_id", "The first event must have a valid app_id");

    public static RequestError NotAnObjectOrArray { get; } = new(
        "invalid_json_body",
        "Cannot parse body",
        [new FieldProblem("$", "The body must be a JSON object or an array of them")]);

    public static IEndpointRouteBuilder MapEdgeStats(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapPost(Path, PostAsync);
        endpoints.MapGet(Path, static context => WriteJsonAsync(context, StatusCodes.Status200OK, static w => w.WriteString("status"u8, "ok")));
        return endpoints;
    }

    private static async Task PostAsync(HttpContext context)
    {
        var limit = context.RequestServices.GetRequiredService<IOptions<HttpApiOptions>>().Value.MaxRequestBodyBytes;
        var request = context.Request;
        if (request.ContentLength > limit)
        {
            await ErrorBody.WriteAsync(context, StatusCodes.Status413PayloadTooLarge, ErrorBody.TooLarge(limit)).ConfigureAwait(false);
            return;
        }

        // Let the API's own limit, not the server's, decide (it may be configured above Kestrel's).
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
        {
            size.MaxRequestBodySize = limit + 1L;
        }

        byte[]? buffer;
        int length;
        try
        {
            (buffer, length) = await PluginBody.ReadPooledAsync(request.BodyReader, limit, context.RequestAborted).ConfigureAwait(false);
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            buffer = null;
            length = 0;
        }

        if (buffer is null)
        {
            await ErrorBody.WriteAsync(context, StatusCodes.Status413PayloadTooLarge, ErrorBody.TooLarge(limit)).ConfigureAwait(false);
            return;
        }

        try
        {
            await HandleAsync(context, buffer.AsMemory(0, length)).ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static Task HandleAsync(HttpContext context, ReadOnlyMemory<byte> body)
    {
        if (!Utf8.IsValid(body.Span))
        {
            return ErrorBody.WriteAsync(context, StatusCodes.Status400BadRequest, RequestError.InvalidJson);
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body, StatsRequest.DocumentOptions);
        }
        catch (JsonException)
        {
            return ErrorBody.WriteAsync(context, StatusCodes.Status400BadRequest, RequestError.InvalidJson);
        }

        using (document)
        {
            try
            {
                return Answer(context, document.RootElement);
            }
            catch (InvalidOperationException)
            {
                // A string escape that is not valid UTF-16 (a lone surrogate): not JSON text we can read.
                return ErrorBody.WriteAsync(context, StatusCodes.Status400BadRequest, RequestError.InvalidJson);
            }
        }
    }

    /// <summary>Decides the reply and enqueues accepted events; the body is fully read before any write.</summary>
    private static Task Answer(HttpContext context, JsonElement root)
    {
        var services = context.RequestServices;
        var store = services.GetRequiredService<ProjectionStore>();
        var queue = services.GetRequiredService<EventQueue>();
        switch (root.ValueKind)
        {
            case JsonValueKind.Object:
                return AnswerSingle(context, root, store, queue);
            case JsonValueKind.Array:
                return AnswerBatch(context, root, store, queue);
            default:
                return ErrorBody.WriteAsync(context, StatusCodes.Status400BadRequest, NotAnObjectOrArray);
        }
    }

    private static Task AnswerSingle(HttpContext context, JsonElement root, ProjectionStore store, EventQueue queue)
    {
        var error = StatsRequest.Read(root, out var deviceEvent);
        if (error is not null)
        {
            return ErrorBody.WriteAsync(context, StatusCodes.Status400BadRequest, error);
        }

        if (Refuse(context, store, deviceEvent.AppId, out var app) is { } refusal)
        {
            return refusal;
        }

        queue.TryEnqueue(deviceEvent with { AppId = app.AppId });
        return WriteJsonAsync(context, StatusCodes.Status200OK, static w => w.WriteString("status"u8, "ok"));
    }

    private static Task AnswerBatch(HttpContext context, JsonElement root, ProjectionStore store, EventQueue queue)
    {
        var count = root.GetArrayLength();
        if (count == 0)
        {
            return WriteJsonAsync(context, StatusCodes.Status200OK, static w =>
            {
                w.WriteString("status"u8, "ok");
                w.WriteStartArray("results"u8);
                w.WriteEndArray();
            });
        }

        // Enumerated, never indexed: indexing an array of objects scans it, which would make a batch quadratic.
        string? appId = null;
        var index = 0;
        foreach (var item in root.EnumerateArray())
        {
            var itemAppId = StatsRequest.AppIdOf(item);
            if (index++ == 0)
            {
                appId = itemAppId;
                if (!AppIds.IsValid(appId))
                {
                    return ErrorBody.WriteAsync(context, StatusCodes.Status400BadRequest, InvalidAppId);
                }
            }
            else if (!string.IsNullOrEmpty(itemAppId) && !string.Equals(itemAppId, appId, StringComparison.OrdinalIgnoreCase))
            {
                return WriteJsonAsync(context, StatusCodes.Status200OK, static w =>
                {
                    w.WriteString("error"u8, "mixed_app_ids");
                    w.WriteString("message"u8, "All events in a batch must have the same app_id");
                });
            }
        }

        if (Refuse(context, store, appId!, out var app) is { } refusal)
        {
            return refusal;
        }

        var results = new RequestError?[count];
        index = 0;
        foreach (var item in root.EnumerateArray())
        {
            var error = StatsRequest.Read(item, out var deviceEvent);
            results[index++] = error;
            if (error is null)
            {
                queue.TryEnqueue(deviceEvent with { AppId = app.AppId });
            }
        }

        return WriteJsonAsync(context, StatusCodes.Status200OK, w =>
        {
            w.WriteString("status"u8, "ok");
            w.WriteStartArray("results"u8);
            for (var i = 0; i < results.Length; i++)
            {
                w.WriteStartObject();
                if (results[i] is { } error)
                {
                    w.WriteString("status"u8, "error");
                    w.WriteString("error"u8, error.Code);
                    w.WriteString("message"u8, error.Message);
                }
                else
                {
                    w.WriteString("status"u8, "ok");
                }

                w.WriteNumber("index"u8, i);
                w.WriteEndObject();
            }

            w.WriteEndArray();
        });
    }

    /// <summary>503 while no projection is loaded; 429 <c>on_premise_app</c> for an unknown or inactive app.</summary>
    private static Task? Refuse(HttpContext context, ProjectionStore store, string appId, out AppSnapshot app)
    {
        app = null!;
        if (!store.IsLoaded)
        {
            // An unknown app proves nothing before the first load.
            return WriteJsonAsync(context, StatusCodes.Status503ServiceUnavailable, static w =>
            {
                w.WriteString("error"u8, NotReadyCode);
                w.WriteString("message"u8, NotReadyMessage);
            });
        }

        if (store.Find(appId) is not { IsActive: true } found)
        {
            return WriteJsonAsync(context, StatusCodes.Status429TooManyRequests, static w =>
            {
                w.WriteString("error"u8, "on_premise_app");
                w.WriteString("message"u8, "On-premise app detected");
            });
        }

        app = found;
        return null;
    }

    private static async Task WriteJsonAsync(HttpContext context, int status, Action<Utf8JsonWriter> writeProperties)
    {
        var response = context.Response;
        response.StatusCode = status;
        response.ContentType = ErrorBody.JsonContentType;
        using (var writer = new Utf8JsonWriter(response.BodyWriter))
        {
            writer.WriteStartObject();
            writeProperties(writer);
            writer.WriteEndObject();
        }

        await response.BodyWriter.FlushAsync().ConfigureAwait(false);
    }
}

using System.Text.Json;
using System.Text.Unicode;
using Capgo.Edge.Core;
using Capgo.Edge.Server.Abuse;
using Capgo.Edge.Server.Admission;
using Capgo.Edge.Server.Events;

namespace Capgo.Edge.Server.Plugin;

/// <summary>
/// <c>POST /stats</c> (one event or a batch for one app) and <c>GET /stats</c>, as plugin-endpoints.md
/// describes. Accepted events are handed to <see cref="EventQueue"/>; the reply never waits on Redis.
/// Requests take a token from their client network's bucket; events, from their app's (<see cref="AppAdmission"/>).
/// </summary>
internal static class StatsEndpoints
{
    public const string Path = "/stats";

    private static readonly ErrorReply MixedAppIds = new("mixed_app_ids", "All events in a batch must have the same app_id");

    public static RequestError InvalidAppId { get; } = new("invalid_app_id", "The first event must have a valid app_id");

    public static RequestError NotAnObjectOrArray { get; } = new(
        "invalid_json_body",
        "Cannot parse body",
        [new FieldProblem("$", "The body must be a JSON object or an array of them")]);

    public static IEndpointRouteBuilder MapEdgeStats(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapPost(Path, PostAsync).AsPluginRoute(AdmissionExtensions.StatsPolicy);
        endpoints.MapGet(Path, static context => PluginReplies.JsonAsync(context, StatusCodes.Status200OK, StatusReply.Ok, PluginJson.Default.StatusReply))
            .AsPluginRoute(AdmissionExtensions.StatsPolicy);
        return endpoints;
    }

    private static async Task PostAsync(HttpContext context)
    {
        using var body = await context.RequestServices.GetRequiredService<PluginBodyReader>().ReadAsync(context).ConfigureAwait(false);
        if (body.Refusal is null)
        {
            await HandleAsync(context, body.Memory).ConfigureAwait(false);
        }
    }

    private static Task HandleAsync(HttpContext context, ReadOnlyMemory<byte> body)
    {
        if (!Utf8.IsValid(body.Span))
        {
            return PluginReplies.ErrorAsync(context, StatusCodes.Status400BadRequest, RequestError.InvalidJson);
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body, StatsRequest.DocumentOptions);
        }
        catch (JsonException)
        {
            return PluginReplies.ErrorAsync(context, StatusCodes.Status400BadRequest, RequestError.InvalidJson);
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
                return PluginReplies.ErrorAsync(context, StatusCodes.Status400BadRequest, RequestError.InvalidJson);
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
                return PluginReplies.ErrorAsync(context, StatusCodes.Status400BadRequest, NotAnObjectOrArray);
        }
    }

    private static Task AnswerSingle(HttpContext context, JsonElement root, ProjectionStore store, EventQueue queue)
    {
        var error = StatsRequest.Read(root, out var deviceEvent);
        if (error is not null)
        {
            return PluginReplies.ErrorAsync(context, StatusCodes.Status400BadRequest, error);
        }

        if (Refuse(context, store, deviceEvent.AppId, 1, out var app) is { } refusal)
        {
            return refusal;
        }

        queue.TryEnqueue(deviceEvent with { AppId = app.AppId });
        return PluginReplies.JsonAsync(context, StatusCodes.Status200OK, StatusReply.Ok, PluginJson.Default.StatusReply);
    }

    private static Task AnswerBatch(HttpContext context, JsonElement root, ProjectionStore store, EventQueue queue)
    {
        var count = root.GetArrayLength();
        if (count == 0)
        {
            return PluginReplies.JsonAsync(context, StatusCodes.Status200OK, new StatsBatchReply("ok", []), PluginJson.Default.StatsBatchReply);
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
                    return PluginReplies.ErrorAsync(context, StatusCodes.Status400BadRequest, InvalidAppId);
                }
            }
            else if (!string.IsNullOrEmpty(itemAppId) && !string.Equals(itemAppId, appId, StringComparison.OrdinalIgnoreCase))
            {
                return PluginReplies.JsonAsync(context, StatusCodes.Status200OK, MixedAppIds, PluginJson.Default.ErrorReply);
            }
        }

        if (Refuse(context, store, appId!, count, out var app) is { } refusal)
        {
            return refusal;
        }

        var results = new StatsEventResult[count];
        index = 0;
        foreach (var item in root.EnumerateArray())
        {
            var error = StatsRequest.Read(item, out var deviceEvent);
            results[index] = error is null ? new StatsEventResult("ok", null, null, index) : new StatsEventResult("error", error.Code, error.Message, index);
            index++;
            if (error is null)
            {
                queue.TryEnqueue(deviceEvent with { AppId = app.AppId });
            }
        }

        return PluginReplies.JsonAsync(context, StatusCodes.Status200OK, new StatsBatchReply("ok", results), PluginJson.Default.StatsBatchReply);
    }

    /// <summary>
    /// 503 while no projection is loaded; 429 <c>on_premise_app</c> for an unknown or inactive app (or one
    /// the abuse guard hides from this client); 429 <c>too_many_requests</c> past the app's event intake.
    /// </summary>
    private static Task? Refuse(HttpContext context, ProjectionStore store, string appId, int events, out AppSnapshot app)
    {
        app = null!;
        if (!store.IsLoaded)
        {
            // An unknown app proves nothing before the first load.
            return PluginReplies.NotReadyAsync(context);
        }

        var services = context.RequestServices;
        if (services.GetRequiredService<AbuseGuard>().Find(store, context.Connection.RemoteIpAddress, appId) is not { IsActive: true } found)
        {
            return PluginReplies.OnPremiseAppAsync(context);
        }

        if (services.GetRequiredService<AppAdmission>().AdmitEvents(found.AppId, events) is { } wait)
        {
            return PluginReplies.TooManyRequestsAsync(context, wait, AppAdmission.EventRateMessage);
        }

        app = found;
        return null;
    }
}

using System.Buffers;
using System.IO.Pipelines;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Capgo.Edge.Core;

namespace Capgo.Edge.Server.Plugin;

/// <summary>
/// The one writer of the plugin endpoints' replies that are not answers: the contract's error body
/// <c>{"error","message","moreInfo"}</c> (400, 413, 503 store failures), 429 with its wait, 503
/// <c>not_ready</c> and 429 <c>on_premise_app</c>; and of cold-path JSON through <see cref="PluginJson"/>.
/// </summary>
internal static class PluginReplies
{
    public const string JsonContentType = "application/json; charset=utf-8";

    public const string TooManyRequestsCode = "too_many_requests";
    public const string TooManyRequestsMessage = "Too many requests for this app, retry later";

    /// <summary>The body before the first projection is loaded: an unknown app proves nothing yet.</summary>
    public static RequestError NotReady { get; } = new("not_ready", "The edge has not loaded a projection yet");

    public static RequestError NotAnObject { get; } = new(
        "invalid_json_body",
        "Cannot parse body",
        [new FieldProblem("$", "The body must be a JSON object")]);

    public static RequestError TooLarge(long limit) => new(
        "payload_too_large",
        $"The body exceeds the limit of {limit} bytes",
        [new FieldProblem("$", $"At most {limit} bytes are accepted")]);

    private static readonly byte[] NotReadyBody = Bare(NotReady.Code, NotReady.Message);
    private static readonly byte[] OnPremiseAppBody = Bare(Outcomes.Code(Outcome.OnPremiseApp), Outcomes.Message(Outcome.OnPremiseApp));

    /// <summary>A refused request: the contract's error body with <c>moreInfo</c> (the broken rules, if any).</summary>
    public static Task ErrorAsync(HttpContext context, int status, RequestError error)
    {
        var response = Start(context.Response, status);
        using (var writer = new Utf8JsonWriter(response.BodyWriter))
        {
            writer.WriteStartObject();
            writer.WriteString("error"u8, error.Code);
            writer.WriteString("message"u8, error.Message);
            writer.WriteStartObject("moreInfo"u8);
            if (error.Issues.Count > 0)
            {
                writer.WriteStartArray("issues"u8);
                foreach (var issue in error.Issues)
                {
                    writer.WriteStartObject();
                    writer.WriteStartArray("path"u8);
                    writer.WriteStringValue(issue.Field);
                    writer.WriteEndArray();
                    writer.WriteString("message"u8, issue.Message);
                    writer.WriteEndObject();
                }

                writer.WriteEndArray();
            }

            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        return response.BodyWriter.FlushAsync().AsTask();
    }

    /// <summary>429 <c>too_many_requests</c> with the wait in every form the plugin reads.</summary>
    public static Task TooManyRequestsAsync(HttpContext context, int retryAfterSeconds, string message = TooManyRequestsMessage)
    {
        context.Response.Headers.RetryAfter = retryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return JsonAsync(
            context,
            StatusCodes.Status429TooManyRequests,
            new TooManyRequestsReply(TooManyRequestsCode, message, new RetryInfo(retryAfterSeconds)),
            PluginJson.Relaxed.TooManyRequestsReply);
    }

    /// <summary>503 <c>not_ready</c>: no projection is loaded yet.</summary>
    public static Task NotReadyAsync(HttpContext context) =>
        BytesAsync(context.Response, StatusCodes.Status503ServiceUnavailable, NotReadyBody).AsTask();

    /// <summary>429 <c>on_premise_app</c>: the app is unknown here or inactive.</summary>
    public static Task OnPremiseAppAsync(HttpContext context) =>
        BytesAsync(context.Response, StatusCodes.Status429TooManyRequests, OnPremiseAppBody).AsTask();

    /// <summary>
    /// A cold-path reply through a source-generated context (<see cref="PluginJson"/> and its kin), escaped
    /// as the context's options say: a writer of its own would otherwise apply the default encoder.
    /// </summary>
    public static Task JsonAsync<T>(HttpContext context, int status, T value, JsonTypeInfo<T> type)
    {
        var response = Start(context.Response, status);
        using (var writer = new Utf8JsonWriter(response.BodyWriter, new JsonWriterOptions { Encoder = type.Options.Encoder }))
        {
            JsonSerializer.Serialize(writer, value, type);
        }

        return response.BodyWriter.FlushAsync().AsTask();
    }

    /// <summary>A body encoded beforehand (a shared reply), with its length.</summary>
    public static ValueTask<FlushResult> BytesAsync(HttpResponse response, int status, ReadOnlyMemory<byte> body)
    {
        Start(response, status).ContentLength = body.Length;
        return response.BodyWriter.WriteAsync(body);
    }

    /// <summary>A body encoded into a per-thread buffer: copied into the response before anything awaits.</summary>
    public static ValueTask<FlushResult> CopyAsync(HttpResponse response, int status, ReadOnlySpan<byte> body)
    {
        Start(response, status).ContentLength = body.Length;
        response.BodyWriter.Write(body);
        return response.BodyWriter.FlushAsync();
    }

    private static HttpResponse Start(HttpResponse response, int status)
    {
        response.StatusCode = status;
        response.ContentType = JsonContentType;
        return response;
    }

    private static byte[] Bare(string code, string message) =>
        JsonSerializer.SerializeToUtf8Bytes(new ErrorReply(code, message), PluginJson.Relaxed.ErrorReply);
}

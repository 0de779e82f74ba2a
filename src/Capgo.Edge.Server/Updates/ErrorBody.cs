using System.Text.Json;
using Capgo.Edge.Core;

namespace Capgo.Edge.Server.Updates;

/// <summary>Writes the contract's error body <c>{"error","message","moreInfo"}</c> directly to the response.</summary>
internal static class ErrorBody
{
    public const string JsonContentType = "application/json; charset=utf-8";

    public static Task WriteAsync(HttpContext context, int status, RequestError error)
    {
        var response = context.Response;
        response.StatusCode = status;
        response.ContentType = JsonContentType;
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
    public static Task WriteTooManyRequestsAsync(HttpContext context, int retryAfterSeconds)
    {
        var response = context.Response;
        response.StatusCode = StatusCodes.Status429TooManyRequests;
        response.ContentType = JsonContentType;
        response.Headers.RetryAfter = retryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        using (var writer = new Utf8JsonWriter(response.BodyWriter))
        {
            writer.WriteStartObject();
            writer.WriteString("error"u8, TooManyRequestsCode);
            writer.WriteString("message"u8, TooManyRequestsMessage);
            writer.WriteStartObject("moreInfo"u8);
            writer.WriteNumber("retryAfterSeconds"u8, retryAfterSeconds);
            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        return response.BodyWriter.FlushAsync().AsTask();
    }

    public const string TooManyRequestsCode = "too_many_requests";
    public const string TooManyRequestsMessage = "Too many requests for this app, retry later";

    public static RequestError NotAnObject { get; } = new(
        "invalid_json_body",
        "Cannot parse body",
        [new FieldProblem("$", "The body must be a JSON object")]);

    public static RequestError TooLarge(long limit) => new(
        "payload_too_large",
        $"The body exceeds the limit of {limit} bytes",
        [new FieldProblem("$", $"At most {limit} bytes are accepted")]);
}

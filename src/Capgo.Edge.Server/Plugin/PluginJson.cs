using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Capgo.Edge.Server.Plugin;

/// <summary>
/// The cold-path reply shapes of the plugin endpoints, serialised by source-generated code (no
/// reflection, no anonymous types). Property order is the wire order; absent values are left out.
/// </summary>
[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ErrorReply))]
[JsonSerializable(typeof(TooManyRequestsReply))]
[JsonSerializable(typeof(StatusReply))]
[JsonSerializable(typeof(StatsBatchReply))]
[JsonSerializable(typeof(ChannelReply))]
[JsonSerializable(typeof(ChannelListItem[]))]
internal sealed partial class PluginJson : JsonSerializerContext
{
    // Two escapings, each the one its endpoint's replies have always had: /stats escapes as
    // Utf8JsonWriter does by default (Default: non-ASCII, ', + as \uXXXX); /channel_self and
    // the 429 bodies as ASP.NET Core and the transcoder write (Relaxed).

    /// <summary>Relaxed escaping: <c>'</c>, <c>+</c> and non-ASCII letters stay as they are.</summary>
    public static PluginJson Relaxed { get; } = new(new JsonSerializerOptions
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });
}

/// <summary><c>{"error","message"}</c>: refusals the plugin reads as a failure with a reason.</summary>
internal sealed record ErrorReply(
    [property: JsonPropertyName("error")] string Error,
    [property: JsonPropertyName("message")] string Message);

internal sealed record RetryInfo([property: JsonPropertyName("retryAfterSeconds")] int RetryAfterSeconds);

internal sealed record TooManyRequestsReply(
    [property: JsonPropertyName("error")] string Error,
    [property: JsonPropertyName("message")] string Message,
    [property: JsonPropertyName("moreInfo")] RetryInfo MoreInfo);

/// <summary><c>{"status":"ok"}</c> and its kin.</summary>
internal sealed record StatusReply([property: JsonPropertyName("status")] string Status)
{
    public static StatusReply Ok { get; } = new("ok");
}

/// <summary>The reply to a batch of <c>/stats</c> events: one result per event, in order.</summary>
internal sealed record StatsBatchReply(
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("results")] StatsEventResult[] Results);

internal sealed record StatsEventResult(
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("error")] string? Error,
    [property: JsonPropertyName("message")] string? Message,
    [property: JsonPropertyName("index")] int Index);

/// <summary>A device's channel as <c>/channel_self</c> reports it (PUT), or the outcome of setting one (POST).</summary>
internal sealed record ChannelReply(
    [property: JsonPropertyName("channel")] string? Channel,
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("allowSet")] bool? AllowSet = null);

/// <summary>One channel a device may choose (GET <c>/channel_self</c>).</summary>
internal sealed record ChannelListItem(
    [property: JsonPropertyName("id")] long Id,
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("public")] bool Public,
    [property: JsonPropertyName("allow_self_set")] bool AllowSelfSet);

using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using Capgo.Edge.Server.Plugin;

namespace Capgo.Edge.Server.Admin;

/// <summary>
/// The admin endpoint's reply shapes, serialised by source-generated code (no reflection, no anonymous
/// types). Property order is the wire order, and nulls are written: the admin contract shows every field.
/// </summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(ExplainReply))]
[JsonSerializable(typeof(ErrorReply))]
internal sealed partial class ExplainJson : JsonSerializerContext
{
    /// <summary>
    /// The context the admin endpoint writes with: ASP.NET Core's web defaults, whose relaxed escaping
    /// leaves <c>+</c>, <c>&lt;</c>, <c>'</c> and non-ASCII letters as they are in names an operator reads.
    /// </summary>
    public static ExplainJson Web { get; } = new(new JsonSerializerOptions(JsonSerializerDefaults.Web)
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });
}

/// <summary>
/// The answer to <c>POST /updates/explain</c>: what the device gets, and why. <c>reply</c> is the JSON
/// <c>POST /updates</c> writes for the same request, embedded as an element so it is never re-shaped.
/// </summary>
internal sealed record ExplainReply(
    [property: JsonPropertyName("status")] int Status,
    [property: JsonPropertyName("reply")] JsonElement Reply,
    [property: JsonPropertyName("throttled_retry_after_seconds")] int? ThrottledRetryAfterSeconds,
    [property: JsonPropertyName("outcome")] string Outcome,
    [property: JsonPropertyName("kind")] string? Kind,
    [property: JsonPropertyName("generation")] long? Generation,
    [property: JsonPropertyName("app")] ExplainedApp? App,
    [property: JsonPropertyName("request")] ExplainedRequest Request,
    [property: JsonPropertyName("channel")] ExplainedChannel? Channel,
    [property: JsonPropertyName("rollout")] ExplainedRollout? Rollout,
    [property: JsonPropertyName("bundle")] string? Bundle,
    [property: JsonPropertyName("policies")] PolicyStep[] Policies);

/// <summary>The app as the projection holds it at this generation.</summary>
internal sealed record ExplainedApp(
    [property: JsonPropertyName("app_id")] string AppId,
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("expose_metadata")] bool ExposeMetadata,
    [property: JsonPropertyName("overrides")] int Overrides);

/// <summary>The request after validation and normalisation: what the decision was made on.</summary>
internal sealed record ExplainedRequest(
    [property: JsonPropertyName("version_name")] string VersionName,
    [property: JsonPropertyName("version_build")] string VersionBuild,
    [property: JsonPropertyName("platform")] string Platform,
    [property: JsonPropertyName("plugin_version")] string PluginVersion,
    [property: JsonPropertyName("default_channel")] string? DefaultChannel,
    [property: JsonPropertyName("is_prod")] bool IsProd,
    [property: JsonPropertyName("is_emulator")] bool IsEmulator);

/// <summary>The channel chosen, where it came from, and the candidates it was chosen among.</summary>
internal sealed record ExplainedChannel(
    [property: JsonPropertyName("chosen")] string? Chosen,
    [property: JsonPropertyName("source")] string? Source,
    [property: JsonPropertyName("override")] string? Override,
    [property: JsonPropertyName("override_visible")] bool OverrideVisible,
    [property: JsonPropertyName("requested")] string? Requested,
    [property: JsonPropertyName("public_for_platform")] string? PublicForPlatform);

/// <summary>The chosen channel's rollout and where this device falls in it.</summary>
internal sealed record ExplainedRollout(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("bundle")] string Bundle,
    [property: JsonPropertyName("share_bps")] int ShareBps,
    [property: JsonPropertyName("enabled")] bool Enabled,
    [property: JsonPropertyName("paused")] bool Paused,
    [property: JsonPropertyName("live")] bool Live,
    [property: JsonPropertyName("bucket")] int Bucket,
    [property: JsonPropertyName("in_rollout")] bool InRollout);

/// <summary>One channel policy and what it did for this request.</summary>
internal sealed record PolicyStep(
    [property: JsonPropertyName("policy")] string Policy,
    [property: JsonPropertyName("setting")] string? Setting,
    [property: JsonPropertyName("result")] string Result,
    [property: JsonPropertyName("code")] string? Code);

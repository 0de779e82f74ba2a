using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Capgo.Edge.Cli.Commands;

/// <summary>
/// What the release commands print with <c>--json</c>, serialised by source-generated code (the house
/// rule for cold-path JSON: no reflection). Names are snake_case like the app document's, and nulls are
/// written: a script reads a missing bundle as <c>null</c> (the builtin bundle), not as an absent field.
/// </summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(WriteResult))]
[JsonSerializable(typeof(List<BundleRow>))]
[JsonSerializable(typeof(List<ChannelRow>))]
[JsonSerializable(typeof(List<HistoryRow>))]
[JsonSerializable(typeof(IReadOnlyList<Capgo.Edge.ControlPlane.Analytics.BundleStats>))]
[JsonSerializable(typeof(List<DeviceRow>))]
internal sealed partial class ReleaseJson : JsonSerializerContext
{
    /// <summary>
    /// The context the commands write with: relaxed escaping leaves <c>"</c>, <c>+</c> and non-ASCII letters
    /// as they are in the diff lines and names a person or <c>jq</c> reads (the output is never embedded in HTML).
    /// </summary>
    public static ReleaseJson Relaxed { get; } = new(new JsonSerializerOptions
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });
}

/// <summary>The outcome of a write; <c>diff</c> only on a dry run, whose generation stays <c>generation_before</c>.</summary>
internal sealed record WriteResult(string AppId, string Operation, long GenerationBefore, long Generation, bool Changed, bool DryRun)
{
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<string>? Diff { get; init; }
}

internal sealed record BundleRow(string Name, string? Url, string? Checksum, string? KeyId, string? MinUpdateVersion, string? Link, string? Comment, bool Encrypted);

/// <summary>A rollout as a script reads it: the share both as a percentage and in basis points.</summary>
internal sealed record RolloutRow(string? Id, string? Bundle, decimal Percent, int PercentageBps, bool Enabled, bool Paused)
{
    public static RolloutRow? From(JsonNode? node)
    {
        if (node is not JsonObject rollout)
        {
            return null;
        }

        var bps = (int?)rollout["percentage_bps"] ?? 0;
        return new RolloutRow((string?)rollout["id"], (string?)rollout["bundle"], bps / 100m, bps, (bool?)rollout["enabled"] ?? true, (bool?)rollout["paused"] ?? false);
    }

    public override string ToString() =>
        $"rollout {Bundle} at {Percent.ToString(System.Globalization.CultureInfo.InvariantCulture)} %{(Paused ? " (paused)" : "")}{(Enabled ? "" : " (disabled)")}";
}

/// <summary>A channel; a policy field is null where the document leaves it at its default.</summary>
internal sealed record ChannelRow(
    string Name,
    string? Bundle,
    bool? Public,
    bool? AllowDeviceSelfSet,
    bool? Ios,
    bool? Android,
    bool? Electron,
    bool? AllowEmulator,
    bool? AllowDevice,
    bool? AllowDev,
    bool? AllowProd,
    string? DisableAutoUpdate,
    bool? DisableAutoUpdateUnderNative,
    RolloutRow? Rollout)
{
    public static ChannelRow From(JsonObject channel) => new(
        (string?)channel["name"] ?? "",
        (string?)channel["bundle"],
        (bool?)channel["public"],
        (bool?)channel["allow_device_self_set"],
        (bool?)channel["ios"],
        (bool?)channel["android"],
        (bool?)channel["electron"],
        (bool?)channel["allow_emulator"],
        (bool?)channel["allow_device"],
        (bool?)channel["allow_dev"],
        (bool?)channel["allow_prod"],
        (string?)channel["disable_auto_update"],
        (bool?)channel["disable_auto_update_under_native"],
        RolloutRow.From(channel["rollout"]));
}

internal sealed record HistoryRow(string Channel, long Generation, DateTimeOffset Time, string Actor, string Operation, string? BundleBefore, string? BundleAfter, RolloutRow? Rollout)
{
    /// <summary>Why a rule made the change (an auto-pause's figures); absent for a person's change.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Note { get; init; }
}

/// <summary>A device's registry entry and what an edge would answer it now (<c>devices</c>).</summary>
internal sealed record DeviceRow(
    string DeviceId,
    DateTimeOffset LastSeen,
    IReadOnlyDictionary<string, string> Entry,
    Capgo.Edge.ControlPlane.Analytics.DeviceExplanation? WouldAnswer,
    string? Problem);

/// <summary>Writes <c>--json</c> output: one compact JSON value and a newline.</summary>
internal static class JsonOutput
{
    public static Task WriteAsync<T>(CliContext context, T value, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type) =>
        context.Output.WriteLineAsync(JsonSerializer.Serialize(value, type));
}

namespace Capgo.Edge.Core;

/// <summary>
/// The field rules the plugin's requests share (update-check.md §1, plugin-endpoints.md) and the
/// problem each reports when broken: one wording for <c>/updates</c>, <c>/stats</c> and <c>/channel_self</c>.
/// </summary>
public static class FieldRules
{
    public const int MaxDeviceIdLength = 36;
    public const int MaxCustomIdLength = 36;
    public const int MaxInstallSourceLength = 64;
    public const int MaxKeyIdLength = 20;

    public static FieldProblem AppId { get; } = new("app_id", "App ID must be a reverse-domain string such as com.example.app");
    public static FieldProblem DeviceId { get; } = new("device_id", "Device ID must be a valid UUID string");
    public static FieldProblem Platform { get; } = new("platform", "Platform must be one of: ios, android, electron");
    public static FieldProblem InstallSource { get; } = new("install_source", "Install source must be a string of at most 64 characters");
    public static FieldProblem KeyId { get; } = new("key_id", "Key ID must be a string of at most 20 characters");
    public static FieldProblem CustomId { get; } = new("custom_id", "Custom ID must be a string of at most 36 characters");

    /// <summary>A field present with a JSON type other than boolean.</summary>
    public static FieldProblem ExpectedBoolean(string field) => new(field, "Expected a boolean");

    /// <summary>A field present with a JSON type other than string.</summary>
    public static FieldProblem ExpectedString(string field) => new(field, "Expected a string");
}

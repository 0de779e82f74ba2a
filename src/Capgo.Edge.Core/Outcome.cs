namespace Capgo.Edge.Core;

/// <summary>Every answer the decision can give (update-check.md §2).</summary>
public enum Outcome : byte
{
    UpdateAvailable,
    OnPremiseApp,
    UnsupportedPluginVersion,
    NoChannel,
    NoBundle,
    KeyIdMismatch,
    NoNewVersionAvailable,
    DisabledPlatformIos,
    DisabledPlatformAndroid,
    DisabledPlatformElectron,
    DisableAutoUpdateToMajor,
    DisableAutoUpdateToMinor,
    DisableAutoUpdateToPatch,
    MisconfiguredChannel,
    DisableAutoUpdateToMetadata,
    DisableAutoUpdateUnderNative,
    DisableProdBuild,
    DisableDevBuild,
    DisableDevice,
    DisableEmulator,
    AlreadyOnBuiltin,
    RevertToBuiltinPluginVersionTooOld,
}

/// <summary>The <c>kind</c> of a no-update reply; <see cref="None"/> for offers and on_premise_app.</summary>
public enum OutcomeKind : byte
{
    None,
    UpToDate,
    Blocked,
    Failed,
}

/// <summary>Error codes, messages and kinds of each outcome, as the plugin reads them.</summary>
public static class Outcomes
{
    private static readonly (string Code, string Message, OutcomeKind Kind)[] Table =
    [
        ("", "", OutcomeKind.None),
        ("on_premise_app", "On-premise app detected", OutcomeKind.None),
        ("unsupported_plugin_version", "", OutcomeKind.Failed),
        ("no_channel", "no default channel or override", OutcomeKind.Failed),
        ("no_bundle", "Cannot get bundle", OutcomeKind.Failed),
        ("key_id_mismatch", "Bundle encryption key does not match the device key", OutcomeKind.Blocked),
        ("no_new_version_available", "No new version available", OutcomeKind.UpToDate),
        ("disabled_platform_ios", "Cannot update, ios it's disabled", OutcomeKind.Blocked),
        ("disabled_platform_android", "Cannot update, android is disabled", OutcomeKind.Blocked),
        ("disabled_platform_electron", "Cannot update, electron is disabled", OutcomeKind.Blocked),
        ("disable_auto_update_to_major", "Cannot upgrade major version", OutcomeKind.Blocked),
        ("disable_auto_update_to_minor", "Cannot upgrade minor version", OutcomeKind.Blocked),
        ("disable_auto_update_to_patch", "Cannot upgrade patch version", OutcomeKind.Blocked),
        ("misconfigured_channel", "", OutcomeKind.Failed),
        ("disable_auto_update_to_metadata", "Cannot upgrade version, min update version > current version", OutcomeKind.Blocked),
        ("disable_auto_update_under_native", "Cannot revert under native version", OutcomeKind.Blocked),
        ("disable_prod_build", "Cannot update, prod build is disabled", OutcomeKind.Blocked),
        ("disable_dev_build", "Cannot update, dev build is disabled", OutcomeKind.Blocked),
        ("disable_device", "Cannot update, device is disabled", OutcomeKind.Blocked),
        ("disable_emulator", "Cannot update, emulator is disabled", OutcomeKind.Blocked),
        ("already_on_builtin", "Already on builtin", OutcomeKind.UpToDate),
        ("revert_to_builtin_plugin_version_too_old", "revert_to_builtin used, but plugin version is too old", OutcomeKind.Failed),
    ];

    public static string Code(Outcome outcome) => Table[(int)outcome].Code;

    public static OutcomeKind Kind(Outcome outcome) => Table[(int)outcome].Kind;

    public static string? KindName(OutcomeKind kind) => kind switch
    {
        OutcomeKind.UpToDate => "up_to_date",
        OutcomeKind.Blocked => "blocked",
        OutcomeKind.Failed => "failed",
        _ => null,
    };

    /// <summary>The fixed message of an outcome whose message names nothing from the request.</summary>
    public static string Message(Outcome outcome) => Table[(int)outcome].Message;

    /// <summary>The message; two outcomes name the plugin version or the channel, so they are built here.</summary>
    public static string Message(in UpdateDecision decision, in UpdateCheck check) => decision.Outcome switch
    {
        Outcome.UnsupportedPluginVersion =>
            $"Plugin version {check.PluginVersionText} (v4) is no longer supported. Please upgrade to v5.10.0 or later.",
        Outcome.MisconfiguredChannel => $"Channel {decision.Channel?.Name} is misconfigured",
        _ => Table[(int)decision.Outcome].Message,
    };

    /// <summary>Number of outcomes, for tables indexed by outcome.</summary>
    public static int Count => Table.Length;
}

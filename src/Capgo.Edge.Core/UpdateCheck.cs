namespace Capgo.Edge.Core;

/// <summary>A validated, normalised update check: the input of <see cref="UpdateDecider"/>.</summary>
/// <remarks>
/// The device id keeps the case it arrived in: every use (override lookup, rollout bucket) is
/// case-insensitive, so lower-casing it would only allocate.
/// </remarks>
public readonly struct UpdateCheck
{
    public UpdateCheck(
        string appId,
        string deviceId,
        string versionName,
        string versionBuild,
        SemVer nativeVersion,
        Platform platform,
        string pluginVersionText,
        SemVer pluginVersion,
        bool isEmulator,
        bool isProd,
        string? defaultChannel,
        string? keyId)
    {
        AppId = appId;
        DeviceId = deviceId;
        VersionName = versionName;
        VersionBuild = versionBuild;
        NativeVersion = nativeVersion;
        Platform = platform;
        PluginVersionText = pluginVersionText;
        PluginVersion = pluginVersion;
        IsEmulator = isEmulator;
        IsProd = isProd;
        DefaultChannel = defaultChannel;
        KeyId = keyId;
    }

    public string AppId { get; }
    public string DeviceId { get; }

    /// <summary>VN: the bundle the device runs (<c>builtin</c> already replaced by VB).</summary>
    public string VersionName { get; }

    /// <summary>VB: the native version, normalised.</summary>
    public string VersionBuild { get; }

    public SemVer NativeVersion { get; }
    public Platform Platform { get; }
    public string PluginVersionText { get; }
    public SemVer PluginVersion { get; }
    public bool IsEmulator { get; }
    public bool IsProd { get; }
    public string? DefaultChannel { get; }
    public string? KeyId { get; }
}

namespace Capgo.Edge.Core;

/// <summary>The request fields exactly as received (null = absent), before validation.</summary>
/// <remarks>
/// Both transports fill it: the gRPC handler from the typed message, the JSON endpoint from the JSON
/// body. <see cref="WrongType"/> lists fields that were present with a JSON type the contract does
/// not allow (a number where a string belongs, say); they count as present but invalid.
/// </remarks>
public struct RawUpdateCheck
{
    public string? AppId { get; set; }
    public string? DeviceId { get; set; }
    public string? VersionName { get; set; }
    public string? VersionBuild { get; set; }
    public string? Platform { get; set; }
    public string? PluginVersion { get; set; }
    public bool? IsEmulator { get; set; }
    public bool? IsProd { get; set; }
    public string? DefaultChannel { get; set; }
    public string? InstallSource { get; set; }
    public string? KeyId { get; set; }
    public string? CustomId { get; set; }
    public string? VersionCode { get; set; }
    public string? VersionOs { get; set; }
    public CheckFields WrongType { get; set; }

    /// <summary>The body was an empty object (or carried no field at all).</summary>
    public bool IsEmpty { get; set; }
}

/// <summary>The request fields, in the order of the contract's table.</summary>
[Flags]
public enum CheckFields
{
    None = 0,
    AppId = 1 << 0,
    DeviceId = 1 << 1,
    VersionName = 1 << 2,
    VersionBuild = 1 << 3,
    Platform = 1 << 4,
    PluginVersion = 1 << 5,
    IsEmulator = 1 << 6,
    IsProd = 1 << 7,
    DefaultChannel = 1 << 8,
    InstallSource = 1 << 9,
    KeyId = 1 << 10,
    CustomId = 1 << 11,
    VersionCode = 1 << 12,
    VersionOs = 1 << 13,
}

using System.Text.Json.Nodes;

namespace Capgo.Edge.ControlPlane.Releases;

/// <summary>
/// A channel's policy fields (projection.md §1, <c>channels[]</c>), each null when the command leaves it
/// as it is (or, for a new channel, at the document's default).
/// </summary>
public sealed record ChannelPolicy
{
    public bool? Public { get; init; }
    public bool? SelfAssign { get; init; }
    public bool? Ios { get; init; }
    public bool? Android { get; init; }
    public bool? Electron { get; init; }
    public bool? Emulator { get; init; }
    public bool? Device { get; init; }
    public bool? Dev { get; init; }
    public bool? Prod { get; init; }

    /// <summary><c>none</c>, <c>major</c>, <c>minor</c>, <c>patch</c> or <c>version_number</c>.</summary>
    public string? DisableAutoUpdate { get; init; }

    public bool? UnderNative { get; init; }

    /// <summary>Writes the fields this policy sets into the channel.</summary>
    internal void ApplyTo(JsonObject channel)
    {
        Set(channel, "public", Public);
        Set(channel, "allow_device_self_set", SelfAssign);
        Set(channel, "ios", Ios);
        Set(channel, "android", Android);
        Set(channel, "electron", Electron);
        Set(channel, "allow_emulator", Emulator);
        Set(channel, "allow_device", Device);
        Set(channel, "allow_dev", Dev);
        Set(channel, "allow_prod", Prod);
        if (DisableAutoUpdate is not null)
        {
            channel["disable_auto_update"] = DisableAutoUpdate;
        }

        Set(channel, "disable_auto_update_under_native", UnderNative);
    }

    private static void Set(JsonObject channel, string field, bool? value)
    {
        if (value is { } v)
        {
            channel[field] = v;
        }
    }
}

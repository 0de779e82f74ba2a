using System.Collections.Frozen;

namespace Capgo.Edge.Core;

/// <summary>A bundle of the projection (projection.md §1). Immutable.</summary>
public sealed class Bundle
{
    internal Bundle(
        string name,
        string? url,
        string checksum,
        string sessionKey,
        string? keyId,
        string? minUpdateVersion,
        string? link,
        string? comment,
        bool deleted,
        IReadOnlyList<ManifestFile> manifest)
    {
        Name = name;
        Url = url;
        Checksum = checksum;
        SessionKey = sessionKey;
        KeyId = string.IsNullOrEmpty(keyId) ? null : keyId;
        MinUpdateVersionText = minUpdateVersion;
        if (minUpdateVersion is not null && SemVer.TryParse(minUpdateVersion, out var min))
        {
            MinUpdateVersion = min;
        }

        Link = link;
        Comment = comment;
        Deleted = deleted;
        Manifest = manifest;
        IsSemVer = SemVer.TryParse(name, out var version);
        Version = version;
    }

    public string Name { get; }
    public string? Url { get; }
    public string Checksum { get; }
    public string SessionKey { get; }
    public string? KeyId { get; }
    public string? MinUpdateVersionText { get; }
    public SemVer? MinUpdateVersion { get; }
    public string? Link { get; }
    public string? Comment { get; }
    public bool Deleted { get; }
    public IReadOnlyList<ManifestFile> Manifest { get; }

    /// <summary>True when the name is semver; version policies compare only such bundles.</summary>
    public bool IsSemVer { get; }

    public SemVer Version { get; }

    /// <summary>Has something a device can download.</summary>
    public bool IsDownloadable => Url is not null || Manifest.Count > 0;
}

public sealed record ManifestFile(string FileName, string FileHash, string DownloadUrl);

public enum AutoUpdatePolicy : byte
{
    None,
    Major,
    Minor,
    Patch,
    VersionNumber,
}

/// <summary>A percentage rollout of a second bundle on a channel (update-check.md §3).</summary>
public sealed class Rollout
{
    internal Rollout(string id, Bundle bundle, int shareBps, bool enabled, bool paused)
    {
        Id = id;
        Bundle = bundle;
        ShareBps = shareBps;
        Enabled = enabled;
        Paused = paused;
    }

    public string Id { get; }
    public Bundle Bundle { get; }

    /// <summary>Share of devices in basis points (0–10000).</summary>
    public int ShareBps { get; }

    public bool Enabled { get; }
    public bool Paused { get; }

    /// <summary>Whether the rollout can place anyone at all.</summary>
    public bool IsLive => Enabled && ShareBps > 0 && !Bundle.Deleted;
}

public sealed class Channel
{
    internal Channel(
        string name,
        Bundle? bundle,
        bool isPublic,
        bool allowDeviceSelfSet,
        bool ios,
        bool android,
        bool electron,
        bool allowEmulator,
        bool allowDevice,
        bool allowDev,
        bool allowProd,
        AutoUpdatePolicy disableAutoUpdate,
        bool disableAutoUpdateUnderNative,
        Rollout? rollout)
    {
        Name = name;
        Bundle = bundle;
        IsPublic = isPublic;
        AllowDeviceSelfSet = allowDeviceSelfSet;
        Ios = ios;
        Android = android;
        Electron = electron;
        AllowEmulator = allowEmulator;
        AllowDevice = allowDevice;
        AllowDev = allowDev;
        AllowProd = allowProd;
        DisableAutoUpdate = disableAutoUpdate;
        DisableAutoUpdateUnderNative = disableAutoUpdateUnderNative;
        Rollout = rollout;
    }

    public string Name { get; }

    /// <summary>The channel's bundle; null means the builtin bundle shipped in the binary.</summary>
    public Bundle? Bundle { get; }

    public bool IsPublic { get; }
    public bool AllowDeviceSelfSet { get; }
    public bool Ios { get; }
    public bool Android { get; }
    public bool Electron { get; }
    public bool AllowEmulator { get; }
    public bool AllowDevice { get; }
    public bool AllowDev { get; }
    public bool AllowProd { get; }
    public AutoUpdatePolicy DisableAutoUpdate { get; }
    public bool DisableAutoUpdateUnderNative { get; }
    public Rollout? Rollout { get; }

    /// <summary>A channel whose bundle was deleted is invisible to update checks.</summary>
    public bool IsVisible => Bundle is null || !Bundle.Deleted;

    public bool IsEnabledFor(Platform platform) => platform switch
    {
        Platform.Ios => Ios,
        Platform.Android => Android,
        _ => Electron,
    };
}

/// <summary>Everything an update check needs about one app, at one generation. Immutable.</summary>
public sealed class AppSnapshot
{
    internal AppSnapshot(
        string appId,
        bool isActive,
        string status,
        bool exposeMetadata,
        FrozenDictionary<string, Bundle> bundles,
        Channel[] channels,
        FrozenDictionary<string, Channel> channelsByName,
        DeviceOverrides overrides,
        long generation,
        ReadOnlyMemory<byte> document)
    {
        AppId = appId;
        Document = document;
        IsActive = isActive;
        Status = status;
        ExposeMetadata = exposeMetadata;
        Bundles = bundles;
        Channels = channels;
        ChannelsByName = channelsByName;
        Overrides = overrides;
        Generation = generation;
        GenerationText = generation.ToString(System.Globalization.CultureInfo.InvariantCulture);

        PublicChannels = new Channel?[PlatformNames.Count];
        for (var p = 0; p < PlatformNames.Count; p++)
        {
            // Channels are sorted by name, so the first match is "first by name".
            foreach (var channel in channels)
            {
                if (channel.IsPublic && channel.IsVisible && channel.IsEnabledFor((Platform)p))
                {
                    PublicChannels[p] = channel;
                    break;
                }
            }
        }
    }

    public string AppId { get; }
    public bool IsActive { get; }
    public string Status { get; }
    public bool ExposeMetadata { get; }
    public FrozenDictionary<string, Bundle> Bundles { get; }

    /// <summary>Channels sorted by name (ordinal).</summary>
    public IReadOnlyList<Channel> Channels { get; }

    public FrozenDictionary<string, Channel> ChannelsByName { get; }

    /// <summary>Device id → pinned channel name; shared by the app's successive snapshots.</summary>
    public DeviceOverrides Overrides { get; }

    /// <summary>The channel this device is pinned to, when the pin names a channel of this generation.</summary>
    public bool TryGetOverride(string deviceId, out Channel channel)
    {
        if (Overrides.TryGet(deviceId, out var name) && ChannelsByName.TryGetValue(name, out channel!))
        {
            return true;
        }

        channel = null!;
        return false;
    }

    public long Generation { get; }

    /// <summary>
    /// The UTF-8 document this snapshot was parsed from (the parser's own copy, kept rather than
    /// dropped): what a last-known-good copy of the projection writes to disk.
    /// </summary>
    public ReadOnlyMemory<byte> Document { get; }

    /// <summary>The generation, formatted once for reply headers.</summary>
    public string GenerationText { get; }

    /// <summary>What transports derive from this snapshot once (replies that carry its generation); a new snapshot starts empty.</summary>
    public SnapshotCache Derived { get; } = new();

    /// <summary>Per platform, the visible public channel enabled for it (first by name), or null.</summary>
    internal Channel?[] PublicChannels { get; }

    public Channel? PublicChannelFor(Platform platform) => PublicChannels[(int)platform];

    /// <summary>The same app with the override map a loader keeps across generations.</summary>
    public AppSnapshot WithOverrides(DeviceOverrides overrides) =>
        new(AppId, IsActive, Status, ExposeMetadata, Bundles, (Channel[])Channels, ChannelsByName, overrides, Generation, Document);
}

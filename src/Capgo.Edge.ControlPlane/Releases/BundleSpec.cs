namespace Capgo.Edge.ControlPlane.Releases;

/// <summary>A bundle as a release adds it (projection.md §1, <c>bundles[]</c>).</summary>
public sealed record BundleSpec(string Name, string Url, string Checksum)
{
    public string SessionKey { get; init; } = "";
    public string? KeyId { get; init; }
    public string? MinUpdateVersion { get; init; }
    public string? Link { get; init; }
    public string? Comment { get; init; }
    public IReadOnlyList<ManifestFile> Manifest { get; init; } = [];
}

/// <summary>One file of a bundle's manifest (delta updates).</summary>
public sealed record ManifestFile(string FileName, string FileHash, string DownloadUrl);

using System.IO.Compression;
using System.Security.Cryptography;
using Capgo.Edge.Redis;

namespace Capgo.Edge.ControlPlane.Releases;

/// <summary>
/// A bundle zip read as the plugin installs it (docs/bundles.md): its checksum, its root (the folder
/// holding <c>index.html</c>: the zip's root or its single top folder, which the plugin flattens), and,
/// given a manifest base URL, the per-file manifest for delta updates and the files to upload for it.
/// </summary>
/// <param name="Checksum">The zip's checksum in the chosen algorithm, lowercase hex.</param>
/// <param name="Root">The bundle's folder inside the zip, <c>""</c> for the zip's root.</param>
/// <param name="Manifest">The manifest, ordered by file name; empty without a manifest base.</param>
/// <param name="Uploads">Each manifest file's entry in the zip and the URL it must be uploaded to.</param>
/// <param name="Skipped">Files of the bundle left out of the manifest: empty files and macOS metadata.</param>
public sealed record BundleArchive(
    string Checksum,
    string Root,
    IReadOnlyList<ManifestFile> Manifest,
    IReadOnlyList<BundleUpload> Uploads,
    IReadOnlyList<string> Skipped)
{
    private const string Index = "index.html";

    /// <summary>
    /// Reads the zip (a readable, seekable stream, whole, wherever it is positioned): refuses, with a
    /// <see cref="PublishException"/> naming the problem, what the plugin could not install.
    /// </summary>
    /// <param name="zip">The zip's bytes; files are streamed, never held whole in memory.</param>
    /// <param name="algorithm">The checksum the plugins the bundle is for verify.</param>
    /// <param name="manifestBase">The URL the bundle's files are served under, or null for no manifest.</param>
    public static BundleArchive Read(Stream zip, ChecksumAlgorithm algorithm, string? manifestBase)
    {
        ArgumentNullException.ThrowIfNull(zip);
        if (!zip.CanRead || !zip.CanSeek)
        {
            throw new ArgumentException("the zip must be a readable, seekable stream", nameof(zip));
        }

        var baseUrl = manifestBase is null ? null : BaseUrl(manifestBase);
        zip.Position = 0;
        var checksum = BundleChecksum.Compute(zip, algorithm);
        zip.Position = 0;
        try
        {
            using var archive = new ZipArchive(zip, ZipArchiveMode.Read, leaveOpen: true);
            var folders = new List<string>();
            var files = ReadEntries(archive, folders);
            var root = FindRoot(files, folders);
            return baseUrl is null
                ? new BundleArchive(checksum, root, [], [], [])
                : WithManifest(checksum, root, files, baseUrl);
        }
        catch (Exception ex) when (ex is InvalidDataException or NotSupportedException)
        {
            throw new PublishException($"not a readable zip archive: {ex.Message}", ex);
        }
    }

    /// <summary>
    /// The file entries by normalised path, and the folder entries' paths in <paramref name="folders"/>;
    /// refuses paths that leave the bundle, Windows paths and duplicates.
    /// </summary>
    private static SortedDictionary<string, ZipArchiveEntry> ReadEntries(ZipArchive archive, List<string> folders)
    {
        var files = new SortedDictionary<string, ZipArchiveEntry>(StringComparer.Ordinal);
        foreach (var entry in archive.Entries)
        {
            var name = entry.FullName;
            if (name.Contains('\\', StringComparison.Ordinal))
            {
                throw new PublishException($"entry '{name}' uses '\\' as a separator: the plugin refuses Windows paths (zip with '/')");
            }

            if (name.StartsWith('/') || (name.Length > 1 && name[1] == ':'))
            {
                throw new PublishException($"entry '{name}' is an absolute path: the plugin refuses it");
            }

            var segments = name.Split('/').Where(static s => s.Length > 0 && s != ".").ToArray();
            if (segments.Contains(".."))
            {
                throw new PublishException($"entry '{name}' climbs out of the bundle with '..': the plugin refuses it");
            }

            if (segments.Length == 0)
            {
                continue;
            }

            if (name.EndsWith('/'))
            {
                folders.Add(string.Join('/', segments) + "/");
                continue;
            }

            if (!files.TryAdd(string.Join('/', segments), entry))
            {
                throw new PublishException($"the zip holds '{string.Join('/', segments)}' twice");
            }
        }

        if (files.Count == 0)
        {
            throw new PublishException("the zip holds no files");
        }

        foreach (var path in files.Keys)
        {
            for (var slash = path.IndexOf('/', StringComparison.Ordinal); slash > 0; slash = path.IndexOf('/', slash + 1))
            {
                if (files.ContainsKey(path[..slash]))
                {
                    throw new PublishException($"'{path[..slash]}' is both a file and a folder in the zip");
                }
            }
        }

        return files;
    }

    /// <summary>
    /// <c>""</c> when <c>index.html</c> is at the zip's root; the top folder when it is the only top-level
    /// name, empty folders included (macOS metadata and dot-files aside, as the plugin lists them), and
    /// holds <c>index.html</c>.
    /// </summary>
    private static string FindRoot(SortedDictionary<string, ZipArchiveEntry> files, List<string> folders)
    {
        if (files.ContainsKey(Index))
        {
            return "";
        }

        var top = files.Keys.Concat(folders)
            .Select(static path => path.IndexOf('/', StringComparison.Ordinal) is var slash and > 0 ? path[..(slash + 1)] : path)
            .Distinct(StringComparer.Ordinal)
            .Order(StringComparer.Ordinal)
            .Where(static name => !name.StartsWith("__MACOSX", StringComparison.Ordinal) && !name.StartsWith('.'))
            .ToList();
        if (top is [var folder] && folder.EndsWith('/') && files.ContainsKey(folder + Index))
        {
            return folder[..^1];
        }

        var found = top.Count == 0 ? "nothing but macOS metadata and dot-files" : Some(top);
        var elsewhere = files.Keys.Where(static p => p == Index || p.EndsWith("/" + Index, StringComparison.Ordinal)).ToList();
        var indexes = elsewhere.Count == 0 ? "no index.html anywhere" : $"index.html at {Some(elsewhere)}";
        throw new PublishException(
            $"the plugin needs index.html at the zip's root or in its single top folder; found at the top: {found}; {indexes}");
    }

    private static BundleArchive WithManifest(string checksum, string root, SortedDictionary<string, ZipArchiveEntry> files, string baseUrl)
    {
        var prefix = root.Length == 0 ? "" : root + "/";
        var manifest = new List<ManifestFile>();
        var uploads = new List<BundleUpload>();
        var skipped = new List<string>();
        foreach (var (path, entry) in files)
        {
            if (!path.StartsWith(prefix, StringComparison.Ordinal))
            {
                continue;
            }

            var name = path[prefix.Length..];
            if (entry.Length == 0 || IsMacMetadata(name))
            {
                skipped.Add(path);
                continue;
            }

            if (name.EndsWith(".br", StringComparison.Ordinal))
            {
                throw new PublishException(
                    $"'{name}' ends in .br: the plugin takes a manifest file so named for a brotli-compressed one and stores it without .br; rename it, or add the bundle without a manifest");
            }

            string hash;
            using (var content = entry.Open())
            {
                hash = Convert.ToHexStringLower(SHA256.HashData(content));
            }

            var url = baseUrl + "/" + string.Join('/', name.Split('/').Select(Uri.EscapeDataString));
            manifest.Add(new ManifestFile(name, hash, url));
            uploads.Add(new BundleUpload(path, url));
        }

        if (manifest.Count == 0)
        {
            throw new PublishException("the bundle has no file to put in a manifest");
        }

        return new BundleArchive(checksum, root, manifest, uploads, skipped);
    }

    /// <summary>Finder's <c>.DS_Store</c> and the <c>__MACOSX</c> folder of resource forks: never part of an app.</summary>
    private static bool IsMacMetadata(string path) =>
        path.Split('/').Any(static s => s == ".DS_Store" || s.StartsWith("__MACOSX", StringComparison.Ordinal));

    /// <summary>The base without its trailing slashes; refused unless an absolute http(s) URL a path can be appended to.</summary>
    private static string BaseUrl(string manifestBase)
    {
        if (!Uri.TryCreate(manifestBase, UriKind.Absolute, out var uri)
            || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp)
            || uri.Query.Length > 0
            || uri.Fragment.Length > 0)
        {
            throw new PublishException($"manifest base '{manifestBase}' is not an absolute http(s) URL without query or fragment");
        }

        return manifestBase.TrimEnd('/');
    }

    private static string Some(List<string> names) =>
        names.Count <= 5 ? string.Join(", ", names) : $"{string.Join(", ", names.Take(5))} and {names.Count - 5} more";
}

/// <summary>A bundle file to upload: its entry in the zip, and the URL devices download it from.</summary>
public sealed record BundleUpload(string Entry, string Url);

using Capgo.Edge.ControlPlane.Releases;

namespace Capgo.Edge.Cli.Commands;

/// <summary>
/// What <c>bundle add --zip</c> prints after the write: the checksum it computed and what the user must
/// upload where (capgo-edge uploads nothing): the zip to <c>--url</c>, and with a manifest each file of
/// the bundle to its <c>download_url</c>: a count and the first few, the rest being the same folder.
/// </summary>
internal static class BundleUploadHints
{
    /// <summary>How many manifest files are listed one by one.</summary>
    public const int Listed = 5;

    public static async Task WriteAsync(TextWriter writer, BundleArchive archive, string url, ChecksumAlgorithm algorithm, bool dryRun)
    {
        var must = dryRun ? "would need" : "needs";
        await writer.WriteLineAsync($"checksum ({(algorithm == ChecksumAlgorithm.Crc32 ? "crc32" : "sha256")}): {archive.Checksum}").ConfigureAwait(false);
        await writer.WriteLineAsync($"the zip {must} uploading to {url}").ConfigureAwait(false);
        if (archive.Uploads.Count == 0)
        {
            return;
        }

        var folder = archive.Root.Length == 0 ? "the zip's root" : $"the zip's folder {archive.Root}/";
        await writer.WriteLineAsync(
            $"the manifest {must} its {archive.Uploads.Count} files uploaded, unchanged and uncompressed, from {folder} to:").ConfigureAwait(false);
        foreach (var upload in archive.Uploads.Take(Listed))
        {
            await writer.WriteLineAsync($"  {upload.Entry} -> {upload.Url}").ConfigureAwait(false);
        }

        if (archive.Uploads.Count > Listed)
        {
            await writer.WriteLineAsync($"  … and {archive.Uploads.Count - Listed} more, each under the same URL at its path in the bundle").ConfigureAwait(false);
        }

        if (archive.Skipped.Count > 0)
        {
            await writer.WriteLineAsync(
                $"left out of the manifest (empty files and macOS metadata, as Capgo's CLI does): {string.Join(", ", archive.Skipped.Take(Listed))}{(archive.Skipped.Count > Listed ? $" and {archive.Skipped.Count - Listed} more" : "")}").ConfigureAwait(false);
        }
    }
}

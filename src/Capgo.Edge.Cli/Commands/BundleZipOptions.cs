using System.CommandLine;
using System.CommandLine.Parsing;
using Capgo.Edge.ControlPlane.Releases;
using Capgo.Edge.Redis;

namespace Capgo.Edge.Cli.Commands;

/// <summary>
/// <c>bundle add --zip FILE [--manifest-base URL] [--checksum-algorithm sha256|crc32]</c>: the bundle's
/// checksum, and optionally its manifest, computed from the zip itself (docs/bundles.md).
/// </summary>
internal sealed class BundleZipOptions
{
    private const string Sha256 = "sha256";
    private const string Crc32 = "crc32";

    public Option<FileInfo> Zip { get; } = new("--zip")
    {
        Description = "the bundle's zip: checked as the plugin installs it (index.html at its root or in its single top folder), its checksum computed (this or --checksum)",
        HelpName = "FILE",
    };

    public Option<string> ManifestBase { get; } = new("--manifest-base")
    {
        Description = "with --zip: also publish the per-file manifest (delta updates), each file downloaded from URL/<path in the bundle>",
        HelpName = "URL",
    };

    public Option<string> Algorithm { get; } = ReleaseOptions.OneOf(
        "--checksum-algorithm",
        $"with --zip: the checksum the app's plugin verifies: {Sha256} (5.10.0+, 6.25.0+, 7.0.30+, 8.x; default) or {Crc32} (older)",
        Sha256,
        Crc32);

    public BundleZipOptions() =>
        Zip.Validators.Add(static result =>
        {
            if (result.GetValueOrDefault<FileInfo>() is { } file && !file.Exists)
            {
                result.AddError($"--zip: no file at '{file.FullName}'");
            }
        });

    public Option[] All => [Zip, ManifestBase, Algorithm];

    /// <summary>Exactly one of <c>--zip</c> and <paramref name="checksum"/>; the zip options only with <c>--zip</c>, which reads no encrypted bundle.</summary>
    public void Validate(CommandResult result, Option<string> checksum, Option<string> sessionKey)
    {
        var zip = CliOptions.Given(result, Zip);
        if (zip == CliOptions.Given(result, checksum))
        {
            result.AddError(zip
                ? "--zip and --checksum exclude each other in 'bundle add': --zip computes the checksum"
                : "--zip or --checksum is required for 'bundle add'");
        }

        foreach (var option in new Option[] { ManifestBase, Algorithm })
        {
            if (!zip && CliOptions.Given(result, option))
            {
                result.AddError($"{option.Name} goes with --zip in 'bundle add'");
            }
        }

        if (zip && CliOptions.Given(result, sessionKey))
        {
            result.AddError("--zip computes a plain bundle's checksum; an encrypted bundle's is signed with your key: give it with --checksum");
        }
    }

    public ChecksumAlgorithm AlgorithmOf(ParseResult parsed) =>
        parsed.GetValue(Algorithm) == Crc32 ? ChecksumAlgorithm.Crc32 : ChecksumAlgorithm.Sha256;

    /// <summary>The zip read and checked, or null without <c>--zip</c>; a zip the plugin could not install is refused naming the file.</summary>
    public BundleArchive? Read(ParseResult parsed)
    {
        if (parsed.GetValue(Zip) is not { } file)
        {
            return null;
        }

        FileStream stream;
        try
        {
            stream = new FileStream(file.FullName, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new PublishException($"cannot read --zip {file.FullName}: {ex.Message}", ex);
        }

        using (stream)
        {
            try
            {
                return BundleArchive.Read(stream, AlgorithmOf(parsed), parsed.GetValue(ManifestBase));
            }
            catch (PublishException ex)
            {
                throw new PublishException($"{file.Name}: {ex.Message}", ex);
            }
        }
    }
}

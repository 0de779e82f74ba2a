using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using Capgo.Edge.ControlPlane.Releases;
using Capgo.Edge.Redis;

namespace Capgo.Edge.ControlPlane.Tests.Releases;

/// <summary>Bundle zips read as the plugin installs them: checksums, the bundle root, refusals and the manifest.</summary>
public sealed class BundleArchiveTests
{
    private const string Base = "https://cdn.example.com/com.demo.app/2.0.0";

    /// <summary>A zip of the given entries, in order; a name ending in '/' is a folder entry.</summary>
    internal static byte[] Zip(params (string Name, string Content)[] entries)
    {
        using var buffer = new MemoryStream();
        using (var zip = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var (name, content) in entries)
            {
                var entry = zip.CreateEntry(name, CompressionLevel.Optimal);
                if (!name.EndsWith('/'))
                {
                    using var stream = entry.Open();
                    stream.Write(Encoding.UTF8.GetBytes(content));
                }
            }
        }

        return buffer.ToArray();
    }

    private static BundleArchive Read(byte[] zip, string? manifestBase = null, ChecksumAlgorithm algorithm = ChecksumAlgorithm.Sha256) =>
        BundleArchive.Read(new MemoryStream(zip), algorithm, manifestBase);

    private static string Refusal(byte[] zip, string? manifestBase = null) =>
        Assert.Throws<PublishException>(() => Read(zip, manifestBase)).Message;

    private static string Sha256(string content) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(content)));

    /// <summary>CRC-32 (IEEE) bit by bit, independent of the table-driven implementation under test.</summary>
    private static string BitwiseCrc32(byte[] data)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in data)
        {
            crc ^= b;
            for (var bit = 0; bit < 8; bit++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
            }
        }

        return (crc ^ 0xFFFFFFFFu).ToString("x8", System.Globalization.CultureInfo.InvariantCulture);
    }

    [Fact]
    public void The_crc32_checksum_is_the_standard_one_in_eight_lowercase_hex_digits()
    {
        Assert.Equal("cbf43926", BundleChecksum.Compute(new MemoryStream(Encoding.ASCII.GetBytes("123456789")), ChecksumAlgorithm.Crc32));
        Assert.Equal("00000000", BundleChecksum.Compute(new MemoryStream([]), ChecksumAlgorithm.Crc32));
        Assert.Equal("cbf43926", BitwiseCrc32(Encoding.ASCII.GetBytes("123456789")));
    }

    [Fact]
    public void The_sha256_checksum_is_the_lowercase_hex_of_the_zip_files_bytes()
    {
        var zip = Zip(("index.html", "<html></html>"), ("app.js", "console.log(1)"));

        var archive = Read(zip);

        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(zip)), archive.Checksum);
        Assert.Equal(64, archive.Checksum.Length);
    }

    [Fact]
    public void The_crc32_checksum_covers_the_zip_files_bytes()
    {
        var zip = Zip(("index.html", "<html></html>"), ("app.js", "console.log(1)"));

        var archive = Read(zip, algorithm: ChecksumAlgorithm.Crc32);

        Assert.Equal(BitwiseCrc32(zip), archive.Checksum);
        Assert.Equal(8, archive.Checksum.Length);
    }

    [Fact]
    public void The_checksum_covers_the_whole_stream_wherever_it_is_positioned()
    {
        var zip = Zip(("index.html", "<html></html>"));
        var stream = new MemoryStream(zip) { Position = zip.Length };

        var archive = BundleArchive.Read(stream, ChecksumAlgorithm.Sha256, manifestBase: null);

        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(zip)), archive.Checksum);
    }

    [Fact]
    public void Index_html_at_the_root_makes_the_root_the_bundle()
    {
        var archive = Read(Zip(("index.html", "<html></html>"), ("assets/app.js", "js")), Base);

        Assert.Equal("", archive.Root);
        Assert.Equal(["assets/app.js", "index.html"], archive.Manifest.Select(f => f.FileName));
    }

    [Fact]
    public void Index_html_in_the_single_top_folder_makes_that_folder_the_bundle_and_paths_drop_it()
    {
        var zip = Zip(("dist/", ""), ("dist/index.html", "<html></html>"), ("dist/assets/app.js", "js"), ("__MACOSX/dist/._index.html", "fork"), (".DS_Store", "finder"));

        var archive = Read(zip, Base);

        Assert.Equal("dist", archive.Root);
        Assert.Equal(["assets/app.js", "index.html"], archive.Manifest.Select(f => f.FileName));
        Assert.Equal(["dist/assets/app.js", "dist/index.html"], archive.Uploads.Select(u => u.Entry));
    }

    [Fact]
    public void Two_top_folders_are_refused_naming_them()
    {
        var message = Refusal(Zip(("dist/index.html", "<html></html>"), ("other/readme.txt", "x")));

        Assert.Contains("found at the top: dist/, other/", message, StringComparison.Ordinal);
        Assert.Contains("index.html at dist/index.html", message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_empty_second_top_folder_is_refused_as_the_plugin_would_not_flatten_the_bundle()
    {
        var message = Refusal(Zip(("dist/index.html", "<html></html>"), ("empty/", "")));

        Assert.Contains("dist/, empty/", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Index_html_nested_deeper_than_the_single_top_folder_is_refused()
    {
        var message = Refusal(Zip(("build/www/index.html", "<html></html>"), ("build/www/app.js", "js")));

        Assert.Contains("found at the top: build/", message, StringComparison.Ordinal);
        Assert.Contains("index.html at build/www/index.html", message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_zip_without_index_html_is_refused()
    {
        var message = Refusal(Zip(("app.js", "js"), ("style.css", "css")));

        Assert.Contains("no index.html anywhere", message, StringComparison.Ordinal);
        Assert.Contains("app.js, style.css", message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_empty_zip_is_refused()
    {
        Assert.Contains("no files", Refusal(Zip(("dist/", ""))), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("../evil.js", "'..'")]
    [InlineData("dist/../../evil.js", "'..'")]
    [InlineData("/etc/evil.js", "absolute")]
    [InlineData("C:/evil.js", "absolute")]
    [InlineData("dist\\evil.js", "Windows paths")]
    public void An_entry_leaving_the_bundle_is_refused(string name, string reason)
    {
        var message = Refusal(Zip(("index.html", "<html></html>"), (name, "x")));

        Assert.Contains(name, message, StringComparison.Ordinal);
        Assert.Contains(reason, message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_path_twice_in_the_zip_is_refused()
    {
        Assert.Contains("'app.js' twice", Refusal(Zip(("index.html", "a"), ("app.js", "1"), ("./app.js", "2"))), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new byte[0])]
    [InlineData(new byte[] { 0x3C, 0x68, 0x74, 0x6D, 0x6C, 0x3E })]
    public void A_file_that_is_not_a_zip_is_refused(byte[] bytes)
    {
        Assert.Contains("not a readable zip archive", Refusal(bytes), StringComparison.Ordinal);
    }

    [Fact]
    public void Manifest_hashes_are_the_sha256_of_each_files_uncompressed_content()
    {
        var script = string.Concat(Enumerable.Repeat("console.log('delta');\n", 500));

        var archive = Read(Zip(("www/index.html", "<html></html>"), ("www/assets/app.js", script)), Base);

        var app = Assert.Single(archive.Manifest, f => f.FileName == "assets/app.js");
        Assert.Equal(Sha256(script), app.FileHash);
        Assert.Equal(Sha256("<html></html>"), archive.Manifest.Single(f => f.FileName == "index.html").FileHash);
    }

    [Theory]
    [InlineData(Base)]
    [InlineData(Base + "/")]
    [InlineData(Base + "//")]
    public void Download_urls_join_the_base_and_the_escaped_path_with_one_slash(string manifestBase)
    {
        var archive = Read(Zip(("index.html", "<html></html>"), ("assets/my file #1.js", "js"), ("assets/é.css", "css")), manifestBase);

        Assert.Equal(
            [$"{Base}/assets/my%20file%20%231.js", $"{Base}/assets/%C3%A9.css", $"{Base}/index.html"],
            archive.Manifest.Select(f => f.DownloadUrl));
        Assert.Equal(archive.Manifest.Select(f => f.DownloadUrl), archive.Uploads.Select(u => u.Url));
        Assert.Contains(archive.Manifest, f => f.FileName == "assets/my file #1.js");
    }

    [Fact]
    public void Empty_files_and_macos_metadata_stay_out_of_the_manifest_and_are_reported()
    {
        var archive = Read(Zip(("index.html", "<html></html>"), ("empty.txt", ""), ("assets/.DS_Store", "finder"), ("__MACOSX/._index.html", "fork")), Base);

        Assert.Equal(["index.html"], archive.Manifest.Select(f => f.FileName));
        Assert.Equal(["__MACOSX/._index.html", "assets/.DS_Store", "empty.txt"], archive.Skipped);
    }

    [Fact]
    public void A_file_ending_in_br_is_refused_in_a_manifest_as_the_plugin_would_decompress_it()
    {
        var zip = Zip(("index.html", "<html></html>"), ("assets/data.br", "not brotli"));

        Assert.Contains("'assets/data.br' ends in .br", Refusal(zip, Base), StringComparison.Ordinal);
        Assert.Equal("", Read(zip).Root);
    }

    [Theory]
    [InlineData("cdn.example.com/2.0.0")]
    [InlineData("ftp://cdn.example.com/2.0.0")]
    [InlineData("https://cdn.example.com/2.0.0?token=x")]
    public void A_manifest_base_that_is_not_an_http_url_a_path_joins_is_refused(string manifestBase)
    {
        Assert.Contains("manifest base", Refusal(Zip(("index.html", "<html></html>")), manifestBase), StringComparison.Ordinal);
    }

    [Fact]
    public void Without_a_manifest_base_there_is_no_manifest()
    {
        var archive = Read(Zip(("index.html", "<html></html>"), ("app.js", "js")));

        Assert.Empty(archive.Manifest);
        Assert.Empty(archive.Uploads);
    }
}

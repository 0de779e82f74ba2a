using System.Security.Cryptography;
using System.Text;
using Capgo.Edge.Core;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Capgo.Edge.Redis;

/// <summary>
/// The edge's last-known-good projection on local disk, for a start while Redis is unreachable: every
/// app's document as published (<see cref="AppSnapshot.Document"/>), generations and overrides. The file
/// names its Redis and key prefix and ends with a SHA-256 of everything before it; it is replaced
/// atomically (written beside, then renamed). A file that is torn, corrupt, of another format or of
/// another Redis or prefix is ignored with a log line.
/// </summary>
/// <remarks>
/// Layout (little-endian, <see cref="BinaryWriter"/> strings): magic <c>CAPGOLKG</c>, format version,
/// source (Redis endpoints and prefix), written at (Unix ms), app count; per app: generation, overrides
/// generation, document length and bytes, override count, then per override the device's 16-byte UUID
/// and its channel; then the SHA-256 of all of it.
/// </remarks>
internal sealed partial class LastKnownGood
{
    private const int FormatVersion = 1;
    private static readonly byte[] Magic = "CAPGOLKG"u8.ToArray();

    private readonly ProjectionStore _store;
    private readonly TimeProvider _time;
    private readonly ILogger<LastKnownGood> _logger;
    private readonly string _source;

    public LastKnownGood(ProjectionStore store, IOptions<SyncOptions> options, RedisConnections connections, TimeProvider time, ILogger<LastKnownGood> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(connections);
        _store = store;
        _time = time;
        _logger = logger;
        _source = connections.EdgeEndpoints + " " + options.Value.Prefix;
        Path = !options.Value.Snapshot ? null
            : options.Value.SnapshotPath is { Length: > 0 } path ? path
            : System.IO.Path.Combine(System.IO.Path.GetTempPath(), "capgo-edge", Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(_source)))[..16] + ".snapshot");
    }

    /// <summary>Where the snapshot lives; null when <c>Sync:Snapshot</c> is off.</summary>
    public string? Path { get; }

    /// <summary>Writes every app held now; returns the bytes written.</summary>
    public long Write()
    {
        if (Path is null)
        {
            return 0;
        }

        System.IO.Directory.CreateDirectory(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(Path))!);
        var temporary = Path + ".tmp";
        using (var file = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            using (var writer = new BinaryWriter(new HashingStream(file, hash), Encoding.UTF8, leaveOpen: true))
            {
                var apps = _store.Apps.ToList();
                writer.Write(Magic);
                writer.Write(FormatVersion);
                writer.Write(_source);
                writer.Write(_time.GetUtcNow().ToUnixTimeMilliseconds());
                writer.Write(apps.Count);
                Span<byte> id = stackalloc byte[16];
                foreach (var app in apps)
                {
                    // The label first: the map may move on while it is written, and a later change
                    // carries a later generation, which the next reconcile then sees as different.
                    var overridesGeneration = app.Overrides.Generation;
                    var entries = app.Overrides.Pins.ToList();
                    writer.Write(app.Generation);
                    writer.Write(overridesGeneration);
                    writer.Write(app.Document.Length);
                    writer.Write(app.Document.Span);
                    writer.Write(entries.Count);
                    foreach (var (device, channel) in entries)
                    {
                        device.TryWriteBytes(id);
                        writer.Write(id);
                        writer.Write(channel);
                    }
                }
            }

            file.Write(hash.GetHashAndReset());
            file.Flush(flushToDisk: true);
        }

        File.Move(temporary, Path, overwrite: true);
        return new FileInfo(Path).Length;
    }

    /// <summary>
    /// Installs the snapshot's apps into the store; returns when it was written, or null when there is
    /// none or it is refused (logged).
    /// </summary>
    public DateTimeOffset? Restore()
    {
        if (Path is null || !File.Exists(Path))
        {
            return null;
        }

        try
        {
            var bytes = File.ReadAllBytes(Path);
            if (bytes.Length < 32 || !SHA256.HashData(bytes.AsSpan(0, bytes.Length - 32)).AsSpan().SequenceEqual(bytes.AsSpan(bytes.Length - 32)))
            {
                return Refuse("its checksum does not match (torn or corrupt)");
            }

            using var reader = new BinaryReader(new MemoryStream(bytes, 0, bytes.Length - 32), Encoding.UTF8);
            if (!reader.ReadBytes(Magic.Length).AsSpan().SequenceEqual(Magic) || reader.ReadInt32() != FormatVersion)
            {
                return Refuse("it is not a snapshot of this format");
            }

            if (reader.ReadString() is var source && source != _source)
            {
                return Refuse($"it is of another Redis or prefix ({source})");
            }

            var written = DateTimeOffset.FromUnixTimeMilliseconds(reader.ReadInt64());
            var apps = new List<AppSnapshot>();
            for (var count = reader.ReadInt32(); count > 0; count--)
            {
                var generation = reader.ReadInt64();
                var overridesGeneration = reader.ReadInt64();
                var document = AppDocument.Parse(reader.ReadBytes(reader.ReadInt32()), generation);
                var pins = reader.ReadInt32();
                var builder = new DeviceOverridesBuilder(pins);
                for (; pins > 0; pins--)
                {
                    builder.Add(new Guid(reader.ReadBytes(16)), reader.ReadString());
                }

                var overrides = builder.Build();
                overrides.Generation = overridesGeneration;
                apps.Add(document.WithOverrides(overrides));
            }

            foreach (var app in apps)
            {
                _store.Replace(app);
            }

            LogRestored(_logger, apps.Count, Path, written);
            return written;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or EndOfStreamException or ProjectionException or FormatException or ArgumentException)
        {
            return Refuse(ex.Message);
        }
    }

    private DateTimeOffset? Refuse(string reason)
    {
        LogIgnored(_logger, Path!, reason);
        return null;
    }

    [LoggerMessage(EventId = 1110, Level = LogLevel.Warning, Message = "Redis is unreachable at start: serving {Count} apps from the last-known-good snapshot {Path} written {Written:u}")]
    private static partial void LogRestored(ILogger logger, int count, string path, DateTimeOffset written);

    [LoggerMessage(EventId = 1111, Level = LogLevel.Warning, Message = "Ignored the last-known-good snapshot {Path}: {Reason}")]
    private static partial void LogIgnored(ILogger logger, string path, string reason);

    /// <summary>Hashes what passes through on its way to the file.</summary>
    private sealed class HashingStream(Stream inner, IncrementalHash hash) : Stream
    {
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            hash.AppendData(buffer);
            inner.Write(buffer);
        }

        public override void Flush() => inner.Flush();

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }
}

using System.Text.Json.Nodes;
using Capgo.Edge.Core;
using Capgo.Edge.Redis;

namespace Capgo.Edge.ControlPlane.Stores;

/// <summary>
/// Apps in a projection folder a standalone edge reads (<see cref="ProjectionFolder"/>): no Redis at all.
/// A write holds the app's lock file, checks the generation, replaces the document atomically (a
/// rename, with a modification time that always moves forward, so the edge sees every change) and
/// then the app's state file (generation, content hash, channel history); the audit log is appended.
/// </summary>
/// <remarks>
/// The generation of a document someone edited by hand (its hash is not the state's) is the state's
/// plus one: it still reads as a change, and a compare-and-set against the older generation is refused.
/// </remarks>
public sealed class FolderAppStore : AppStore
{
    private static readonly TimeSpan LockTimeout = TimeSpan.FromSeconds(30);
    private readonly string _directory;
    private readonly TimeProvider _time;

    public FolderAppStore(string directory, TimeProvider? time = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        _directory = Path.GetFullPath(directory);
        _time = time ?? TimeProvider.System;
        if (!Directory.Exists(_directory))
        {
            throw new PublishException($"projection folder {_directory} does not exist");
        }
    }

    /// <summary>How long an edge may stay silent and still count as live (as <see cref="ProjectionPublisher.EdgeLiveness"/>).</summary>
    public TimeSpan EdgeLiveness { get; init; } = TimeSpan.FromSeconds(15);

    public override async Task<(JsonObject Document, long Generation)?> ReadAsync(string appId)
    {
        using var _ = await LockAsync(appId).ConfigureAwait(false);
        var current = Load(appId);
        return current.Bytes is null ? null : (JsonNode.Parse(current.Bytes)!.AsObject(), current.Generation);
    }

    public override async Task<byte[]?> GetDocumentAsync(string appId)
    {
        using var _ = await LockAsync(appId).ConfigureAwait(false);
        return Load(appId).Bytes;
    }

    public override async Task<IReadOnlyList<string>> ReadHistoryAsync(string appId, string channel)
    {
        using var _ = await LockAsync(appId).ConfigureAwait(false);
        return FolderAppState.Read(_directory, appId).History(channel);
    }

    public override async Task<WaitResult> WaitForEdgesAsync(string appId, long generation, TimeSpan timeout, IProgress<WaitResult>? progress = null, CancellationToken cancellationToken = default)
    {
        var deadline = _time.GetUtcNow() + timeout;
        var edges = LiveEdges().Select(static a => a.Edge).ToList();
        while (true)
        {
            var state = FolderAppState.Read(_directory, appId);
            var acks = LiveEdges().ToDictionary(static a => a.Edge, StringComparer.Ordinal);
            var serving = new List<string>();
            var lagging = new List<string>();
            foreach (var edge in edges)
            {
                var served = acks.TryGetValue(edge, out var ack) && state.Generation >= generation
                    && ack.Apps.TryGetValue(appId, out var hash) && hash == state.ContentHash;
                (served ? serving : lagging).Add(edge);
            }

            var result = new WaitResult(lagging.Count == 0, serving, lagging);
            if (lagging.Count == 0 || _time.GetUtcNow() >= deadline)
            {
                return result;
            }

            progress?.Report(result);
            await Task.Delay(TimeSpan.FromMilliseconds(50), _time, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The edges whose acknowledgement is recent.</summary>
    public IEnumerable<EdgeAcknowledgement> LiveEdges()
    {
        var folder = ProjectionFolder.EdgesDirectory(_directory);
        if (!Directory.Exists(folder))
        {
            yield break;
        }

        var since = _time.GetUtcNow() - EdgeLiveness;
        foreach (var file in Directory.EnumerateFiles(folder, "*.json"))
        {
            byte[] bytes;
            try
            {
                bytes = File.ReadAllBytes(file);
            }
            catch (IOException)
            {
                continue; // removed by an edge that stopped
            }

            if (ProjectionFolder.DecodeAck(bytes) is { } ack && ack.Time >= since)
            {
                yield return ack;
            }
        }
    }

    internal override async Task<long> WriteAsync(ReadOnlyMemory<byte> document, AppSnapshot snapshot, long? expectedGeneration, ChangeRecord? record)
    {
        using var _ = await LockAsync(snapshot.AppId).ConfigureAwait(false);
        var current = Load(snapshot.AppId);
        if (expectedGeneration is { } expected && expected != current.Generation)
        {
            throw new StaleGenerationException($"app {snapshot.AppId} is at generation {current.Generation}, not {expected}");
        }

        // Microseconds of the clock, as Redis mode's generations, and always past the current one.
        var generation = Math.Max(current.Generation + 1, _time.GetUtcNow().ToUnixTimeMilliseconds() * 1000);
        var path = current.Path ?? ProjectionFolder.AppFile(_directory, snapshot.AppId);
        var previousWrite = current.Path is null ? DateTime.MinValue : File.GetLastWriteTimeUtc(path);
        ReplaceFile(path, document.Span, previousWrite);

        var state = current.State with { Generation = generation, ContentHash = ProjectionFolder.ContentHash(document.Span) };
        foreach (var (channel, entry) in record?.History ?? [])
        {
            state = state.WithEntry(channel, Stamp(generation, entry), RedisLayout.HistoryLength);
        }

        state.Write(_directory, snapshot.AppId);
        if (record is not null)
        {
            await File.AppendAllTextAsync(Path.Combine(ProjectionFolder.StateDirectory(_directory), "audit.jsonl"), Stamp(generation, record.Audit) + "\n").ConfigureAwait(false);
        }

        return generation;
    }

    /// <summary>A history or audit entry (an object without its opening brace) with its generation first.</summary>
    private static string Stamp(long generation, string entry) => $"{{\"generation\":{generation},{entry}";

    /// <summary>
    /// Writes a temporary file beside the target and renames it over the target. Its modification time is
    /// moved past the replaced file's: an edge that tells changes by time and length sees every write.
    /// </summary>
    private static void ReplaceFile(string path, ReadOnlySpan<byte> bytes, DateTime previousWrite)
    {
        var temporary = Path.Combine(Path.GetDirectoryName(path)!, ProjectionFolder.StateFolderName, Path.GetFileName(path) + ".tmp");
        Directory.CreateDirectory(Path.GetDirectoryName(temporary)!);
        using (var file = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            file.Write(bytes);
            file.Flush(flushToDisk: true);
        }

        if (File.GetLastWriteTimeUtc(temporary) <= previousWrite)
        {
            File.SetLastWriteTimeUtc(temporary, previousWrite.AddMilliseconds(1));
        }

        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>The app's document file (by name, else by its <c>app_id</c>), its bytes and its generation.</summary>
    private (string? Path, byte[]? Bytes, long Generation, FolderAppState State) Load(string appId)
    {
        var state = FolderAppState.Read(_directory, appId);
        var path = FindFile(appId);
        if (path is null)
        {
            return (null, null, 0, state);
        }

        var bytes = File.ReadAllBytes(path);
        var generation = ProjectionFolder.ContentHash(bytes) == state.ContentHash ? state.Generation : state.Generation + 1;
        return (path, bytes, generation, state);
    }

    private string? FindFile(string appId)
    {
        var named = ProjectionFolder.AppFile(_directory, appId);
        if (File.Exists(named))
        {
            return named;
        }

        // A folder laid out by hand may name files otherwise: the document's app_id decides.
        foreach (var file in Directory.EnumerateFiles(_directory, "*.json"))
        {
            try
            {
                if ((string?)JsonNode.Parse(File.ReadAllBytes(file))?["app_id"] == appId)
                {
                    return file;
                }
            }
            catch (System.Text.Json.JsonException)
            {
                // Not a document: the edge refuses it too.
            }
        }

        return null;
    }

    /// <summary>Holds the app's lock file (an exclusive open, which is an <c>flock</c> on Linux) until disposed.</summary>
    private async Task<FileStream> LockAsync(string appId)
    {
        var state = ProjectionFolder.StateDirectory(_directory);
        Directory.CreateDirectory(state);
        var path = Path.Combine(state, appId + ".lock");
        var deadline = _time.GetUtcNow() + LockTimeout;
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (_time.GetUtcNow() < deadline)
            {
                await Task.Delay(Random.Shared.Next(2, 20)).ConfigureAwait(false);
            }
            catch (IOException ex)
            {
                throw new PublishException($"app {appId} stayed locked by another writer for {LockTimeout.TotalSeconds:F0} s ({path})", ex);
            }
        }
    }
}

using Capgo.Edge.Core;
using Capgo.Edge.Redis;
using Microsoft.Extensions.Options;

namespace Capgo.Edge.Server.Projection;

/// <summary>
/// Standalone mode: loads every <c>*.json</c> app document of a folder and reloads a file when it
/// changes. A bad document is refused whole and the app keeps its last good snapshot. After each scan,
/// and at least every <see cref="FolderAcknowledgement.Interval"/>, it acknowledges the content it serves in the folder
/// (<see cref="ProjectionFolder"/>), so a release command's <c>--wait</c> sees exactly what each edge loaded.
/// </summary>
internal sealed partial class DirectoryProjectionSource : BackgroundService
{
    private readonly ProjectionStore _store;
    private readonly ProjectionOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<DirectoryProjectionSource> _logger;
    private readonly Dictionary<string, (DateTime WriteTime, long Length, string? AppId)> _seen = new(StringComparer.Ordinal);

    private readonly FolderAcknowledgement _ack;
    private readonly SemaphoreSlim _changed = new(0);
    private long _generation;

    public DirectoryProjectionSource(
        ProjectionStore store,
        IOptions<ProjectionOptions> options,
        EdgeIdentity identity,
        TimeProvider time,
        ILogger<DirectoryProjectionSource> logger)
    {
        _store = store;
        _options = options.Value;
        _time = time;
        _logger = logger;
        _ack = new FolderAcknowledgement(Path.GetFullPath(_options.Directory), identity.Name, _options.Acknowledge, time, logger);

        // Generations are microseconds since the Unix epoch, as in Redis mode: they keep increasing
        // across restarts and tell the age of what is served.
        _generation = time.GetUtcNow().ToUnixTimeMilliseconds() * 1000;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var directory = Path.GetFullPath(_options.Directory);
        using var watcher = CreateWatcher(directory);
        Scan(directory);
        _ack.Write();
        var lastScan = _time.GetTimestamp();

        while (!stoppingToken.IsCancellationRequested)
        {
            bool signalled;
            try
            {
                // Woken by the watcher, or by the poll interval in case an event was lost.
                signalled = await _changed.WaitAsync(_options.PollInterval < FolderAcknowledgement.Interval ? _options.PollInterval : FolderAcknowledgement.Interval, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }

            if (signalled || _time.GetElapsedTime(lastScan) >= _options.PollInterval)
            {
                Scan(directory);
                lastScan = _time.GetTimestamp();
            }

            _ack.Write();
        }

        _ack.Remove();
    }

    private FileSystemWatcher? CreateWatcher(string directory)
    {
        if (!System.IO.Directory.Exists(directory))
        {
            return null;
        }

        var watcher = new FileSystemWatcher(directory, "*.json")
        {
            NotifyFilter = NotifyFilters.FileName | NotifyFilters.LastWrite | NotifyFilters.Size,
        };
        watcher.Changed += (_, _) => Signal();
        watcher.Created += (_, _) => Signal();
        watcher.Deleted += (_, _) => Signal();
        watcher.Renamed += (_, _) => Signal();
        watcher.EnableRaisingEvents = true;
        return watcher;
    }

    private void Signal()
    {
        if (_changed.CurrentCount == 0)
        {
            _changed.Release();
        }
    }

    /// <summary>Loads new or changed files and drops apps whose file disappeared.</summary>
    internal void Scan(string directory)
    {
        if (!System.IO.Directory.Exists(directory))
        {
            LogDirectoryMissing(_logger, directory);
            return;
        }

        string[] files;
        try
        {
            files = System.IO.Directory.GetFiles(directory, "*.json");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Removed or locked away mid-scan: keep serving what is held; the next event or poll retries.
            LogReadFailed(_logger, directory, ex.Message);
            return;
        }

        var present = new HashSet<string>(StringComparer.Ordinal);
        foreach (var path in files)
        {
            present.Add(path);
            _seen.TryGetValue(path, out var seen);
            try
            {
                // Stamp the file before reading it: a file still being written then looks changed on the next scan.
                var info = new FileInfo(path);
                var (writeTime, length) = (info.LastWriteTimeUtc, info.Length);
                if (seen.WriteTime == writeTime && seen.Length == length)
                {
                    continue;
                }

                var bytes = File.ReadAllBytes(path);
                _seen[path] = (writeTime, length, Load(path, bytes, seen.AppId) ?? seen.AppId);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Deleted since the listing, unreadable, or mid-write: not stamped, so the next event or poll retries.
                LogReadFailed(_logger, Path.GetFileName(path), ex.Message);
            }
        }

        foreach (var path in _seen.Keys.Where(p => !present.Contains(p)).ToList())
        {
            if (_seen[path].AppId is { } removed && _store.Remove(removed))
            {
                _ack.Served.Remove(removed);
                var file = Path.GetFileName(path);
                LogAppRemoved(_logger, removed, file);
            }

            _seen.Remove(path);
        }

        if (_store.Count > 0 && !_store.IsLoaded)
        {
            _store.MarkLoaded();
            LogReady(_logger, _store.Count, directory);
        }
    }

    /// <summary>
    /// Parses and installs one file's document; a refused one leaves the app it held (if any) at its
    /// last good snapshot and is recorded in the store, under that app or else the file's name.
    /// </summary>
    private string? Load(string path, byte[] bytes, string? heldAppId)
    {
        var file = Path.GetFileName(path);
        try
        {
            var snapshot = AppDocument.Parse(bytes, Interlocked.Increment(ref _generation));
            _store.TryApply(snapshot);
            _store.Accept(snapshot.AppId);
            _store.Accept(file);
            _ack.Served[snapshot.AppId] = ProjectionFolder.ContentHash(bytes);
            LogAppLoaded(_logger, snapshot.AppId, snapshot.Generation, file);
            return snapshot.AppId;
        }
        catch (ProjectionException ex)
        {
            _store.Reject(heldAppId ?? file, $"{ex.Field}: {ex.Problem}");
            LogDocumentRejected(_logger, file, ex.Field, ex.Problem);
            return null;
        }
    }

    public override void Dispose()
    {
        _changed.Dispose();
        base.Dispose();
    }

    [LoggerMessage(EventId = 1001, Level = LogLevel.Information, Message = "Loaded app {AppId} at generation {Generation} from {File}")]
    private static partial void LogAppLoaded(ILogger logger, string appId, long generation, string file);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Error, Message = "Rejected app document {File}: {Field}: {Problem}. The app keeps its last good snapshot")]
    private static partial void LogDocumentRejected(ILogger logger, string file, string field, string problem);

    [LoggerMessage(EventId = 1003, Level = LogLevel.Warning, Message = "Could not read {File}: {Reason}; retrying on the next change or poll")]
    private static partial void LogReadFailed(ILogger logger, string file, string reason);

    [LoggerMessage(EventId = 1004, Level = LogLevel.Information, Message = "Removed app {AppId}: its file {File} was deleted")]
    private static partial void LogAppRemoved(ILogger logger, string appId, string file);

    [LoggerMessage(EventId = 1005, Level = LogLevel.Warning, Message = "Projection directory {Directory} does not exist; the edge is not ready")]
    private static partial void LogDirectoryMissing(ILogger logger, string directory);

    [LoggerMessage(EventId = 1006, Level = LogLevel.Information, Message = "Projection ready: {Count} apps from {Directory}")]
    private static partial void LogReady(ILogger logger, int count, string directory);
}

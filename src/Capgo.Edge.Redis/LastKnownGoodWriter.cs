using Capgo.Edge.Core;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Capgo.Edge.Redis;

/// <summary>
/// Keeps <see cref="LastKnownGood"/> current: every <see cref="SyncOptions.SnapshotInterval"/>, and once
/// more at a stop, it writes the projection when it changed — only while the sync is healthy, so what
/// lands on disk is what Redis held, never a snapshot served while Redis was away.
/// </summary>
internal sealed partial class LastKnownGoodWriter : BackgroundService
{
    private readonly LastKnownGood _snapshot;
    private readonly ProjectionStore _store;
    private readonly ISyncHealth _health;
    private readonly SyncOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<LastKnownGoodWriter> _logger;
    private long _written;
    private bool _failing;

    public LastKnownGoodWriter(LastKnownGood snapshot, ProjectionStore store, ISyncHealth health, IOptions<SyncOptions> options, TimeProvider time, ILogger<LastKnownGoodWriter> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _snapshot = snapshot;
        _store = store;
        _health = health;
        _options = options.Value;
        _time = time;
        _logger = logger;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (_snapshot.Path is null)
        {
            return;
        }

        using var timer = new PeriodicTimer(_options.SnapshotInterval, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                WriteIfChanged();
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping: one last write below keeps the newest state for the next start.
        }

        WriteIfChanged();
    }

    private void WriteIfChanged()
    {
        if (!_store.IsLoaded || _health.Problem is not null)
        {
            return;
        }

        var fingerprint = Fingerprint();
        if (fingerprint == _written)
        {
            return;
        }

        try
        {
            var bytes = _snapshot.Write();
            _written = fingerprint;
            _failing = false;
            LogWritten(_logger, _store.Count, bytes, _snapshot.Path!);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            if (!_failing)
            {
                LogWriteFailed(_logger, _snapshot.Path!, ex.Message);
            }

            _failing = true;
        }
    }

    /// <summary>Changes with any app's generation or overrides generation, or the set of apps.</summary>
    private long Fingerprint()
    {
        long sum = _store.Count;
        foreach (var app in _store.Apps)
        {
            sum += HashCode.Combine(app.AppId, app.Generation, app.Overrides.Generation);
        }

        return sum == 0 ? 1 : sum;
    }

    [LoggerMessage(EventId = 1112, Level = LogLevel.Debug, Message = "Wrote the last-known-good snapshot: {Count} apps, {Bytes} bytes, {Path}")]
    private static partial void LogWritten(ILogger logger, int count, long bytes, string path);

    [LoggerMessage(EventId = 1113, Level = LogLevel.Warning, Message = "Cannot write the last-known-good snapshot {Path}: {Reason}; a start without Redis will serve nothing")]
    private static partial void LogWriteFailed(ILogger logger, string path, string reason);
}

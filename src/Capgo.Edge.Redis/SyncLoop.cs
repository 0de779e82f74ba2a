using System.Threading.Channels;
using Capgo.Edge.Core;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using Channel = System.Threading.Channels.Channel;

namespace Capgo.Edge.Redis;

/// <summary>
/// Redis mode (docs/sync.md): the one loop that changes the projection. Announcements are applied
/// within milliseconds; a reconcile runs at start, on reconnect and every reconcile interval. Every
/// change goes through this loop, so an app's document and overrides never race. Requests never wait
/// on Redis: they read the in-memory store, which keeps its last good state while Redis is away.
/// </summary>
internal sealed partial class SyncLoop : BackgroundService
{
    private readonly ProjectionStore _store;
    private readonly RedisConnections _connections;
    private readonly RedisLayout _layout;
    private readonly AnnouncementApplier _announcements;
    private readonly Reconciler _reconciler;
    private readonly EdgePresence _presence;
    private readonly LastKnownGood _lastKnownGood;
    private readonly SyncStatus _status;
    private readonly SyncOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<SyncLoop> _logger;
    private readonly Channel<SyncEvent> _events = Channel.CreateUnbounded<SyncEvent>(new UnboundedChannelOptions { SingleReader = true });

    public SyncLoop(
        ProjectionStore store,
        RedisConnections connections,
        RedisLayout layout,
        AnnouncementApplier announcements,
        Reconciler reconciler,
        EdgePresence presence,
        LastKnownGood lastKnownGood,
        SyncStatus status,
        IOptions<SyncOptions> options,
        TimeProvider time,
        ILogger<SyncLoop> logger)
    {
        _store = store;
        _connections = connections;
        _layout = layout;
        _announcements = announcements;
        _reconciler = reconciler;
        _presence = presence;
        _lastKnownGood = lastKnownGood;
        _status = status;
        _options = options.Value;
        _time = time;
        _logger = logger;
    }

    private enum SyncEventKind
    {
        Announcement,
        Disconnected,
        Restored,
    }

    private readonly record struct SyncEvent(SyncEventKind Kind, Announcement? Announcement = null);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var redis = await _connections.EdgeAsync().ConfigureAwait(false);
        if (!redis.IsConnected && _lastKnownGood.Restore() is { } written)
        {
            // Serving what Redis held before beats serving nothing; the first reconcile replaces it.
            _store.MarkLoaded();
            _status.ServingSnapshot(written);
        }

        redis.ConnectionFailed += OnConnectionFailed;
        redis.ConnectionRestored += OnConnectionRestored;
        try
        {
            await SubscribeAsync(redis.GetSubscriber(), stoppingToken).ConfigureAwait(false);
            var db = redis.GetDatabase();
            using var heartbeat = _presence.StartHeartbeat(db, stoppingToken);
            await RunAsync(db, stoppingToken).ConfigureAwait(false);
            await _presence.LeaveAsync(db).ConfigureAwait(false);
        }
        finally
        {
            redis.ConnectionFailed -= OnConnectionFailed;
            redis.ConnectionRestored -= OnConnectionRestored;
        }
    }

    private async Task RunAsync(IDatabase db, CancellationToken stoppingToken)
    {
        var nextReconcile = _time.GetUtcNow();
        while (!stoppingToken.IsCancellationRequested)
        {
            if (_time.GetUtcNow() >= nextReconcile)
            {
                await SuperviseAsync(() => _reconciler.ReconcileAsync(db)).ConfigureAwait(false);
                nextReconcile = _time.GetUtcNow() + (_store.IsLoaded ? _options.ReconcileInterval : TimeSpan.FromMilliseconds(500));
            }

            using var wait = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            var delay = nextReconcile - _time.GetUtcNow();
            wait.CancelAfter(delay > TimeSpan.Zero ? delay : TimeSpan.Zero);
            try
            {
                while (await _events.Reader.WaitToReadAsync(wait.Token).ConfigureAwait(false))
                {
                    while (_events.Reader.TryRead(out var e))
                    {
                        await SuperviseAsync(() => HandleAsync(db, e)).ConfigureAwait(false);
                    }
                }
            }
            catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
            {
                // Time to reconcile.
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private void OnConnectionFailed(object? sender, ConnectionFailedEventArgs e)
    {
        if (e.ConnectionType == ConnectionType.Interactive)
        {
            _events.Writer.TryWrite(new SyncEvent(SyncEventKind.Disconnected));
        }
    }

    private void OnConnectionRestored(object? sender, ConnectionFailedEventArgs e)
    {
        if (e.ConnectionType == ConnectionType.Interactive)
        {
            _events.Writer.TryWrite(new SyncEvent(SyncEventKind.Restored));
        }
    }

    private async Task SubscribeAsync(ISubscriber subscriber, CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                // The library re-subscribes by itself after a reconnect. A message queue, not a handler:
                // handlers may run concurrently and reorder announcements; the queue hands them over in
                // the order Redis published them, which the override chain relies on.
                var queue = await subscriber.SubscribeAsync(_layout.Changes).ConfigureAwait(false);
                queue.OnMessage(message =>
                {
                    if (Announcement.TryParse((byte[])message.Message!) is { } announcement)
                    {
                        _events.Writer.TryWrite(new SyncEvent(SyncEventKind.Announcement, announcement));
                    }
                });
                return;
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException)
            {
                _status.Degraded(SyncReasons.RedisUnreachable, ex);
                await Task.Delay(TimeSpan.FromMilliseconds(500), _time, stoppingToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// Runs one step of the loop so that nothing but a stop ends the loop: a Redis failure degrades the
    /// sync until the next reconcile repairs it; anything else is a defect, logged with its stack and
    /// shown in health, and the edge goes on serving what it holds.
    /// </summary>
    private async Task SuperviseAsync(Func<Task> step)
    {
        try
        {
            await step().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            // The periodic reconcile retries whatever failed here.
            _status.Degraded(SyncReasons.RedisError, ex);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogStepFailed(_logger, ex);
            _status.Degraded(SyncReasons.SyncStepFailed);
        }
    }

    private async Task HandleAsync(IDatabase db, SyncEvent e)
    {
        switch (e.Kind)
        {
            case SyncEventKind.Announcement:
                await _announcements.ApplyAsync(db, e.Announcement!).ConfigureAwait(false);
                break;
            case SyncEventKind.Disconnected:
                _status.Degraded(SyncReasons.RedisConnectionLost);
                break;
            case SyncEventKind.Restored:
                LogReconnected(_logger);

                // Redis may be another one now (restarted, failed over): every app is compared.
                await _reconciler.ReconcileAsync(db, full: true).ConfigureAwait(false);

                // Commands fail fast while Redis is away, so an acknowledgement written then is
                // lost; writing every held app's again lets --wait see what this edge serves.
                foreach (var app in _store.Apps)
                {
                    _presence.Acknowledge(db, app);
                }

                break;
        }
    }

    [LoggerMessage(EventId = 1107, Level = LogLevel.Information, Message = "Redis connection restored; reconciling")]
    private static partial void LogReconnected(ILogger logger);

    [LoggerMessage(EventId = 1109, Level = LogLevel.Error, Message = "A sync step failed; the edge keeps serving what it holds and the next reconcile retries")]
    private static partial void LogStepFailed(ILogger logger, Exception exception);
}

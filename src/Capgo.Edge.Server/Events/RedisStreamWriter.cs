using System.Text.Json;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Capgo.Edge.Server.Events;

/// <summary>
/// Drains <see cref="EventQueue"/> in batches into the Redis stream <c>{Sync:Prefix}events</c>
/// (docs/events.md), one pipelined round trip per batch, trimmed with an approximate <c>MAXLEN</c>.
/// Failed entries are retried a bounded number of times, then counted as dropped. Nothing here is
/// on a request's path: requests only enqueue.
/// </summary>
internal sealed partial class RedisStreamWriter : BackgroundService
{
    /// <summary>The entry format version (field <c>v</c>).</summary>
    public const string FormatVersion = "1";

    private readonly EventQueue _queue;
    private readonly EventSink _sink;
    private readonly EventOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<RedisStreamWriter> _logger;
    private readonly RedisKey _stream;

    public RedisStreamWriter(EventQueue queue, EventSink sink, IOptions<EventOptions> options, TimeProvider time, ILogger<RedisStreamWriter> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(sink);
        _queue = queue;
        _sink = sink;
        _options = options.Value;
        _time = time;
        _logger = logger;
        _stream = sink.StreamKey;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Never hold up the host's start.
        await Task.Yield();
        if (_sink.ConnectionString is null)
        {
            LogNoControlPlane(_logger);
            return;
        }

        // Retry delays end at the flush deadline once a stop is requested.
        using var deadline = new CancellationTokenSource();
        using var onStop = stoppingToken.Register(() => deadline.CancelAfter(_options.FlushTimeout));

        ConnectionMultiplexer? redis = null;
        try
        {
            var config = ConfigurationOptions.Parse(_sink.ConnectionString);
            config.AbortOnConnectFail = false;

            // While Redis is away, fail at once and let the bounded retries decide, rather than
            // queueing inside the client.
            config.BacklogPolicy = BacklogPolicy.FailFast;
            config.ClientName ??= "capgo-edge-events:" + _sink.EdgeName;
            redis = await ConnectionMultiplexer.ConnectAsync(config).ConfigureAwait(false);
            LogStarted(_logger, _sink.StreamKey, _sink.EdgeName);
        }
        catch (Exception ex) when (ex is ArgumentException or RedisException)
        {
            LogConnectFailed(_logger, ex.Message);
        }

        try
        {
            var batch = new List<DeviceEvent>(_options.BatchSize);
            try
            {
                while (await _queue.Reader.WaitToReadAsync(stoppingToken).ConfigureAwait(false))
                {
                    await DrainOnceAsync(redis, batch, deadline.Token).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                // Stopping: flush below.
            }

            await FlushAsync(redis, batch, deadline.Token).ConfigureAwait(false);
        }
        finally
        {
            if (redis is not null)
            {
                await redis.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    /// <summary>Writes what is queued until the flush deadline; the rest is dropped as <c>shutdown</c>.</summary>
    private async Task FlushAsync(ConnectionMultiplexer? redis, List<DeviceEvent> batch, CancellationToken deadline)
    {
        _queue.Close();
        var before = _queue.Written;
        while (!deadline.IsCancellationRequested && _queue.Reader.Count > 0)
        {
            await DrainOnceAsync(redis, batch, deadline).ConfigureAwait(false);
        }

        var left = 0;
        while (_queue.Reader.TryRead(out _))
        {
            left++;
        }

        _queue.MarkDropped(left, DropReason.Shutdown);
        LogFlushed(_logger, _queue.Written - before, left);
    }

    private async Task DrainOnceAsync(ConnectionMultiplexer? redis, List<DeviceEvent> batch, CancellationToken deadline)
    {
        batch.Clear();
        while (batch.Count < _options.BatchSize && _queue.Reader.TryRead(out var item))
        {
            batch.Add(item);
        }

        if (batch.Count == 0)
        {
            return;
        }

        if (redis is null)
        {
            _queue.MarkDropped(batch.Count, DropReason.RedisError);
            return;
        }

        try
        {
            await WriteAsync(redis.GetDatabase(), batch, deadline).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Whatever goes wrong, the writer keeps running and the loss is counted.
            _queue.MarkDropped(batch.Count, DropReason.RedisError);
            LogBatchDropped(_logger, batch.Count, 0, ex.Message);
        }

        batch.Clear();
    }

    /// <summary>
    /// Sends a batch in one pipeline and retries only the entries that failed, with a doubling delay,
    /// at most <see cref="EventOptions.MaxAttempts"/> times.
    /// </summary>
    private async Task WriteAsync(IDatabase db, List<DeviceEvent> batch, CancellationToken deadline)
    {
        var pending = batch;
        var delay = _options.RetryDelay;
        for (var attempt = 1; ; attempt++)
        {
            // The multiplexer pipelines these calls on one connection, in order, without waiting
            // for each reply.
            var tasks = new Task<RedisValue>[pending.Count];
            for (var i = 0; i < pending.Count; i++)
            {
                try
                {
                    tasks[i] = db.StreamAddAsync(
                        _stream,
                        ToEntry(pending[i], _sink.EdgeName),
                        messageId: null,
                        maxLength: _options.MaxStreamLength,
                        useApproximateMaxLength: true);
                }
                catch (Exception ex) when (ex is RedisException or TimeoutException)
                {
                    tasks[i] = Task.FromException<RedisValue>(ex);
                }
            }

            // Whatever the client does while Redis is away, a batch never waits longer than this;
            // an entry still unanswered counts as failed (it may yet land: delivery is at least once).
            await ((Task)Task.WhenAll(tasks)).WaitAsync(_options.WriteTimeout, _time, deadline).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);

            List<DeviceEvent>? failed = null;
            Exception? error = null;
            for (var i = 0; i < tasks.Length; i++)
            {
                if (!tasks[i].IsCompletedSuccessfully)
                {
                    (failed ??= []).Add(pending[i]);
                    error ??= tasks[i].Exception?.GetBaseException() ?? new TimeoutException($"no reply from Redis within {_options.WriteTimeout}");
                }
            }

            _queue.MarkWritten(pending.Count - (failed?.Count ?? 0));
            if (failed is null)
            {
                return;
            }

            var reason = error?.Message ?? "cancelled";
            if (attempt >= _options.MaxAttempts)
            {
                _queue.MarkDropped(failed.Count, DropReason.RedisError);
                LogBatchDropped(_logger, failed.Count, attempt, reason);
                return;
            }

            LogBatchRetry(_logger, failed.Count, attempt, reason);
            try
            {
                await Task.Delay(delay, _time, deadline).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                _queue.MarkDropped(failed.Count, DropReason.Shutdown);
                return;
            }

            delay *= 2;
            pending = failed;
        }
    }

    /// <summary>The stream entry of an event (docs/events.md): absent values are left out.</summary>
    internal static NameValueEntry[] ToEntry(in DeviceEvent e, string edgeName)
    {
        var fields = new List<NameValueEntry>(24)
        {
            new("v", FormatVersion),
            new("kind", e.Kind == DeviceEventKind.Check ? "check" : "stats"),
            new("ts", e.TimestampMs),
            new("edge", edgeName),
            new("seq", e.Sequence),
            new("app_id", e.AppId),
            new("device_id", e.DeviceId),
        };

        Add(fields, "platform", e.Platform);
        Add(fields, "action", e.Action);
        Add(fields, "version_name", e.VersionName);
        Add(fields, "old_version_name", e.OldVersionName);
        Add(fields, "version_build", e.VersionBuild);
        Add(fields, "version_code", e.VersionCode);
        Add(fields, "version_os", e.VersionOs);
        Add(fields, "plugin_version", e.PluginVersion);
        fields.Add(new("is_emulator", e.IsEmulator ? "true" : "false"));
        fields.Add(new("is_prod", e.IsProd ? "true" : "false"));
        Add(fields, "custom_id", e.CustomId);
        Add(fields, "install_source", e.InstallSource);
        Add(fields, "key_id", e.KeyId);
        Add(fields, "channel", e.Channel);
        Add(fields, "default_channel", e.DefaultChannel);
        if (e.Metadata is { Count: > 0 } metadata)
        {
            fields.Add(new("metadata", MetadataJson(metadata)));
        }

        Add(fields, "outcome", e.Outcome);
        Add(fields, "version", e.OfferedVersion);
        return [.. fields];
    }

    private static void Add(List<NameValueEntry> fields, string name, string? value)
    {
        if (value is not null)
        {
            fields.Add(new(name, value));
        }
    }

    private static byte[] MetadataJson(IReadOnlyList<KeyValuePair<string, string>> metadata)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            foreach (var (key, value) in metadata)
            {
                writer.WriteString(key, value);
            }

            writer.WriteEndObject();
        }

        return buffer.ToArray();
    }

    [LoggerMessage(EventId = 1201, Level = LogLevel.Warning, Message = "No control plane (ConnectionStrings:Redis is not set): device events are counted as dropped, not delivered")]
    private static partial void LogNoControlPlane(ILogger logger);

    [LoggerMessage(EventId = 1202, Level = LogLevel.Information, Message = "Device events go to Redis stream {Stream} as edge {EdgeName}")]
    private static partial void LogStarted(ILogger logger, string stream, string edgeName);

    [LoggerMessage(EventId = 1203, Level = LogLevel.Warning, Message = "Writing {Count} device events failed (attempt {Attempt}): {Error}; retrying")]
    private static partial void LogBatchRetry(ILogger logger, int count, int attempt, string error);

    [LoggerMessage(EventId = 1204, Level = LogLevel.Error, Message = "Dropped {Count} device events after {Attempts} attempts: {Error}")]
    private static partial void LogBatchDropped(ILogger logger, int count, int attempts, string error);

    [LoggerMessage(EventId = 1205, Level = LogLevel.Information, Message = "Device events flushed on shutdown: {Written} written, {Dropped} dropped")]
    private static partial void LogFlushed(ILogger logger, long written, int dropped);

    [LoggerMessage(EventId = 1208, Level = LogLevel.Error, Message = "Cannot set up the Redis connection for device events: {Error}; events will be counted as dropped")]
    private static partial void LogConnectFailed(ILogger logger, string error);
}

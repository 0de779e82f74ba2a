using System.Text.Json;
using Capgo.Edge.Redis;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Capgo.Edge.Server.Events;

/// <summary>
/// Drains <see cref="EventQueue"/> in batches into the Redis stream <c>{Sync:Prefix}events</c>
/// (docs/events.md) and flushes it on shutdown. The Redis layer's <see cref="EventStreamWriter"/> does
/// the writing on the edge's shared connection; this side stays in the server because the queue and
/// <see cref="DeviceEvent"/> are the server's, and it maps each event to its stream entry. Nothing here
/// is on a request's path: requests only enqueue.
/// </summary>
/// <remarks>
/// One batch at a time: the next one is taken from the queue only once Redis has confirmed the whole
/// current one, so while Redis is away accepted events wait in the queue, in order, and a retry is sent
/// before anything accepted later.
/// </remarks>
internal sealed partial class EventForwarder : BackgroundService
{
    /// <summary>
    /// The entry format version (field <c>v</c>). 2: entries carry <c>instance</c>, and an edge's
    /// entries are unique by (<c>edge</c>, <c>instance</c>, <c>seq</c>).
    /// </summary>
    public const string FormatVersion = "2";

    private readonly EventQueue _queue;
    private readonly EventSink _sink;
    private readonly EventStreamWriter _stream;
    private readonly EventOptions _options;
    private readonly EventStreamLimits _limits;
    private readonly ILogger<EventForwarder> _logger;

    public EventForwarder(EventQueue queue, EventSink sink, EventStreamWriter stream, IOptions<EventOptions> options, ILogger<EventForwarder> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _queue = queue;
        _sink = sink;
        _stream = stream;
        _options = options.Value;
        _limits = new EventStreamLimits(_options.MaxStreamLength, _options.RetryDelay, _options.MaxRetryDelay, _options.WriteTimeout);
        _logger = logger;
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

        // Retries go on until Redis answers, or until the flush deadline once a stop is requested.
        using var deadline = new CancellationTokenSource();
        using var onStop = stoppingToken.Register(() => deadline.CancelAfter(_options.FlushTimeout));

        var db = await _stream.ConnectAsync().ConfigureAwait(false);
        var batch = new List<NameValueEntry[]>(_options.BatchSize);
        try
        {
            while (await _queue.Reader.WaitToReadAsync(stoppingToken).ConfigureAwait(false)
                && await WriteNextAsync(db, batch, deadline.Token).ConfigureAwait(false))
            {
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: flush below.
        }

        await FlushAsync(db, batch, deadline.Token).ConfigureAwait(false);
    }

    /// <summary>Writes what is queued until the flush deadline; the rest is dropped as <c>shutdown</c>.</summary>
    private async Task FlushAsync(IDatabase? db, List<NameValueEntry[]> batch, CancellationToken deadline)
    {
        _queue.Close();
        var before = _queue.Written;
        while (!deadline.IsCancellationRequested
            && (batch.Count > 0 || _queue.Reader.Count > 0)
            && await WriteNextAsync(db, batch, deadline).ConfigureAwait(false))
        {
        }

        var left = batch.Count;
        batch.Clear();
        while (_queue.Reader.TryRead(out _))
        {
            left++;
        }

        _queue.MarkDropped(left, DropReason.Shutdown);
        LogFlushed(_logger, _queue.Written - before, left);
    }

    /// <summary>
    /// Writes the current batch, filled from the queue when empty. False when the deadline ended the
    /// retries first: <paramref name="batch"/> then holds what Redis has not confirmed.
    /// </summary>
    private async Task<bool> WriteNextAsync(IDatabase? db, List<NameValueEntry[]> batch, CancellationToken deadline)
    {
        while (batch.Count < _options.BatchSize && _queue.Reader.TryRead(out var item))
        {
            batch.Add(ToEntry(item, _stream.EdgeName, _stream.EdgeInstance));
        }

        if (db is null)
        {
            // The connection could not be set up at all (logged): nothing will ever reach Redis.
            _queue.MarkDropped(batch.Count, DropReason.RedisError);
            batch.Clear();
            return true;
        }

        var written = await _stream.WriteAsync(db, batch, _limits, deadline).ConfigureAwait(false);
        _queue.MarkWritten(written);
        batch.RemoveRange(0, written);
        return batch.Count == 0;
    }

    /// <summary>The stream entry of an event (docs/events.md): absent values are left out.</summary>
    internal static NameValueEntry[] ToEntry(in DeviceEvent e, string edgeName, string instance)
    {
        var fields = new List<NameValueEntry>(24)
        {
            new("v", FormatVersion),
            new("kind", e.Kind == DeviceEventKind.Check ? "check" : "stats"),
            new("ts", e.TimestampMs),
            new("edge", edgeName),
            new("instance", instance),
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

    [LoggerMessage(EventId = 1205, Level = LogLevel.Information, Message = "Device events flushed on shutdown: {Written} written, {Dropped} dropped")]
    private static partial void LogFlushed(ILogger logger, long written, int dropped);
}

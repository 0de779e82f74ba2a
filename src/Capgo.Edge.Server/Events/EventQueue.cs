using System.Diagnostics.Metrics;
using System.Threading.Channels;
using Capgo.Edge.Core;
using Microsoft.Extensions.Options;

namespace Capgo.Edge.Server.Events;

/// <summary>Why an event did not reach the stream.</summary>
internal enum DropReason
{
    /// <summary>The in-memory queue was full.</summary>
    QueueFull,

    /// <summary>No control plane is configured (<c>ConnectionStrings:Redis</c> unset).</summary>
    NoControlPlane,

    /// <summary>The Redis connection cannot be set up at all (a malformed connection string); never an outage.</summary>
    RedisError,

    /// <summary>Still queued when the shutdown flush ran out of time, or offered after it.</summary>
    Shutdown,
}

/// <summary>
/// The bounded in-memory queue between request handlers and <see cref="EventForwarder"/>.
/// Enqueueing never blocks and never waits on Redis: an event that cannot be queued is counted as
/// dropped (metric <c>capgo_edge_events_dropped</c>) and the request goes on.
/// </summary>
internal sealed partial class EventQueue
{
    public const string MeterName = "Capgo.Edge";

    private static readonly string[] ReasonNames = ["queue_full", "no_control_plane", "redis_error", "shutdown"];
    private static readonly long WarnEveryTicks = TimeSpan.FromSeconds(10).Ticks;

    private readonly Channel<DeviceEvent> _channel;
    private readonly TimeProvider _time;
    private readonly ILogger<EventQueue> _logger;
    private readonly Counter<long> _enqueuedCounter;
    private readonly Counter<long> _droppedCounter;
    private readonly Counter<long> _writtenCounter;
    private readonly long[] _droppedBy = new long[ReasonNames.Length];
    private long _enqueued;
    private long _written;
    private long _sequence;
    private long _lastFullWarning = long.MinValue;
    private volatile bool _closed;
    private readonly CheckEventFilter _checkFilter;
    private long _repeats;

    public EventQueue(IOptions<EventOptions> options, EventSink sink, TimeProvider time, IMeterFactory meters, ILogger<EventQueue> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(sink);
        ArgumentNullException.ThrowIfNull(meters);
        Capacity = options.Value.QueueCapacity;
        _checkFilter = new CheckEventFilter(options.Value, time);
        HasControlPlane = sink.ConnectionString is not null;
        _time = time;
        _logger = logger;
        _channel = System.Threading.Channels.Channel.CreateBounded<DeviceEvent>(new BoundedChannelOptions(Capacity)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = true,
            SingleWriter = false,
            AllowSynchronousContinuations = false,
        });

        var meter = meters.Create(MeterName);
        _enqueuedCounter = meter.CreateCounter<long>("capgo_edge_events_enqueued", "{event}", "Device events accepted into the queue");
        _droppedCounter = meter.CreateCounter<long>("capgo_edge_events_dropped", "{event}", "Device events that did not reach the control plane, by reason");
        // Nearly every poll is a repeat: counted with one interlocked add, reported when scraped.
        meter.CreateObservableCounter("capgo_edge_events_check_repeats", () => Volatile.Read(ref _repeats), "{event}", "Check events not sent: the same device, bundle and outcome was reported within Events:CheckDedupWindow");
        _writtenCounter = meter.CreateCounter<long>("capgo_edge_events_written", "{event}", "Device events written to the Redis stream");
        meter.CreateObservableGauge("capgo_edge_events_queued", () => (long)_channel.Reader.Count, "{event}", "Device events waiting in the queue");
    }

    public int Capacity { get; }

    /// <summary>False when no Redis is configured: every event is dropped as <c>no_control_plane</c>.</summary>
    public bool HasControlPlane { get; }

    /// <summary>Events accepted into the queue.</summary>
    public long Enqueued => Interlocked.Read(ref _enqueued);

    /// <summary>Events that will never reach the stream, whatever the reason.</summary>
    public long Dropped
    {
        get
        {
            long total = 0;
            for (var i = 0; i < _droppedBy.Length; i++)
            {
                total += Interlocked.Read(ref _droppedBy[i]);
            }

            return total;
        }
    }

    /// <summary>Events written to the Redis stream.</summary>
    public long Written => Interlocked.Read(ref _written);

    /// <summary>Events waiting in the queue now.</summary>
    public int Queued => _channel.Reader.Count;

    public long DroppedBy(DropReason reason) => Interlocked.Read(ref _droppedBy[(int)reason]);

    internal ChannelReader<DeviceEvent> Reader => _channel.Reader;

    /// <summary>Queues an event for the control plane; never blocks. False when it was dropped (and counted).</summary>
    public bool TryEnqueue(in DeviceEvent deviceEvent)
    {
        if (!HasControlPlane)
        {
            MarkDropped(1, DropReason.NoControlPlane);
            return false;
        }

        var stamped = deviceEvent with
        {
            TimestampMs = deviceEvent.TimestampMs != 0 ? deviceEvent.TimestampMs : _time.GetUtcNow().ToUnixTimeMilliseconds(),
            Sequence = Interlocked.Increment(ref _sequence),
        };

        if (_channel.Writer.TryWrite(stamped))
        {
            Interlocked.Increment(ref _enqueued);
            _enqueuedCounter.Add(1);
            return true;
        }

        if (_closed)
        {
            MarkDropped(1, DropReason.Shutdown);
            return false;
        }

        MarkDropped(1, DropReason.QueueFull);
        WarnFull();
        return false;
    }

    /// <summary>
    /// Queues the compact event of an answered update check. Checks for apps the edge does not serve
    /// (<c>on_premise_app</c>) are not reported: the control plane has no such app. <paramref name="timestamp"/> is
    /// when the check started, on this queue's <see cref="TimeProvider"/> (the repeat filter's clock).
    /// </summary>
    public bool TryEnqueueCheck(in UpdateCheck check, in RawUpdateCheck raw, in UpdateDecision decision, long timestamp)
    {
        if (decision.Outcome == Outcome.OnPremiseApp)
        {
            return false;
        }

        if (!_checkFilter.ShouldSend(check, decision, timestamp))
        {
            Interlocked.Increment(ref _repeats);
            return false;
        }

        return TryEnqueue(DeviceEvent.ForCheck(check, raw, decision));
    }

    /// <summary>Stops accepting events (shutdown): later ones are dropped as <c>shutdown</c>.</summary>
    internal void Close()
    {
        _closed = true;
        _channel.Writer.TryComplete();
    }

    internal void MarkWritten(int count)
    {
        if (count <= 0)
        {
            return;
        }

        Interlocked.Add(ref _written, count);
        _writtenCounter.Add(count);
    }

    internal void MarkDropped(int count, DropReason reason)
    {
        if (count <= 0)
        {
            return;
        }

        Interlocked.Add(ref _droppedBy[(int)reason], count);
        _droppedCounter.Add(count, new KeyValuePair<string, object?>("reason", ReasonNames[(int)reason]));
    }

    internal static string ReasonName(DropReason reason) => ReasonNames[(int)reason];

    private void WarnFull()
    {
        // At most one warning every 10 s, however many events are dropped.
        var now = _time.GetTimestamp();
        var last = Interlocked.Read(ref _lastFullWarning);
        var every = (long)(WarnEveryTicks * (_time.TimestampFrequency / (double)TimeSpan.TicksPerSecond));
        if (last != long.MinValue && now - last < every)
        {
            return;
        }

        if (Interlocked.CompareExchange(ref _lastFullWarning, now, last) == last)
        {
            LogQueueFull(_logger, Capacity, DroppedBy(DropReason.QueueFull));
        }
    }

    [LoggerMessage(EventId = 1207, Level = LogLevel.Warning, Message = "Device event queue full ({Capacity}); events are being dropped ({Dropped} so far)")]
    private static partial void LogQueueFull(ILogger logger, int capacity, long dropped);
}

/// <summary>
/// Whether events have a control plane to reach: the edge's Redis connection string, null in standalone
/// mode. The stream key and the edge's name come from the Redis layer (<c>RedisLayout</c>, <c>EdgeIdentity</c>).
/// </summary>
internal sealed record EventSink(string? ConnectionString);

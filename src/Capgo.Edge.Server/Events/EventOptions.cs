using System.ComponentModel.DataAnnotations;

namespace Capgo.Edge.Server.Events;

/// <summary>Device events to the control plane (section <c>Events</c>, docs/events.md).</summary>
internal sealed class EventOptions : IValidatableObject
{
    public const string Section = "Events";

    /// <summary>Events held in memory while the writer catches up; beyond it they are dropped and counted.</summary>
    [Range(1, 10_000_000)]
    public int QueueCapacity { get; set; } = 100_000;

    /// <summary>Events sent to Redis in one pipelined round trip.</summary>
    [Range(1, 10_000)]
    public int BatchSize { get; set; } = 500;

    /// <summary>Approximate <c>MAXLEN</c> of the stream: older entries are trimmed by Redis.</summary>
    [Range(typeof(long), "1000", "9223372036854775807")]
    public long MaxStreamLength { get; set; } = 1_000_000;

    /// <summary>On shutdown, how long queued events may take to reach Redis before the rest is dropped.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:05:00")]
    public TimeSpan FlushTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long one attempt at a batch may wait for Redis's replies.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:01:00")]
    public TimeSpan WriteTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// A device's check event is sent once per window for the same app, bundle, native version and
    /// outcome (repeated polls carry nothing new); <c>00:00:00</c> sends every check.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "1.00:00:00")]
    public TimeSpan CheckDedupWindow { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Size of the table that remembers recent check events (12 bytes each, in buckets of 4).</summary>
    [Range(1024, 67_108_864)]
    public int CheckDedupSlots { get; set; } = 262_144;

    /// <summary>Delay before the first retry of a failed write; it doubles on each further one.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "00:01:00")]
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// The longest delay between retries: while Redis is away, events wait in the queue and are retried
    /// at least this often, so they flow again within about this long of its return.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "00:10:00")]
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(5);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (RetryDelay > MaxRetryDelay)
        {
            yield return new ValidationResult(
                $"Events:RetryDelay ({RetryDelay}) must not exceed Events:MaxRetryDelay ({MaxRetryDelay})",
                [nameof(RetryDelay), nameof(MaxRetryDelay)]);
        }
    }
}

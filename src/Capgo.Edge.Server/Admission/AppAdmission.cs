using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Threading.RateLimiting;
using Capgo.Edge.Core;
using Microsoft.Extensions.Options;

namespace Capgo.Edge.Server.Admission;

/// <summary>
/// Per-app caps on what the plugin writes through this edge: device pins through <c>/channel_self</c>
/// (a token bucket per app, and a ceiling on the pins an app holds, which bounds the memory of Redis and
/// of every edge, since each edge holds every pin) and events through <c>/stats</c> (a token bucket
/// per app, so one app cannot fill the event queue of all). Partitions are keyed by the app ids of
/// the projection, so their number follows the apps served, never the requests.
/// </summary>
internal sealed class AppAdmission : IDisposable
{
    public const string PinRateMessage = "Too many channel changes for this app, retry later";
    public const string PinCapMessage = "This app holds the most device channel overrides allowed, retry later";
    public const string EventRateMessage = "Too many events for this app, retry later";

    /// <summary>A full app frees room only when pins are removed: the device retries after a minute, not sooner.</summary>
    public const int PinCapRetryAfterSeconds = 60;

    private readonly PartitionedRateLimiter<string> _pins;
    private readonly PartitionedRateLimiter<string> _events;
    private readonly ConcurrentDictionary<string, StrongBox<int>> _pinsInFlight = new(StringComparer.Ordinal);
    private readonly int _maxPins;
    private readonly int _eventBurst;

    public AppAdmission(IOptions<AdmissionOptions> options)
    {
        var o = options.Value;
        _maxPins = o.MaxPinsPerApp;
        _eventBurst = o.EventsPerApp.TokenLimit;
        _pins = PerApp(o.PinsPerApp);
        _events = PerApp(o.EventsPerApp);
    }

    /// <summary>
    /// Admits one pin write (set or remove) for this device of this app. A write that adds a pin the app
    /// does not hold also needs room under <see cref="AdmissionOptions.MaxPinsPerApp"/>, counting the
    /// writes already in flight; dispose the result once the write is done.
    /// </summary>
    public PinWrite AdmitPinWrite(AppSnapshot app, string deviceId)
    {
        if (Refusal(_pins, app.AppId, 1) is { } wait)
        {
            return new PinWrite(null, wait, PinRateMessage);
        }

        if (app.Overrides.TryGet(deviceId, out _))
        {
            return default;
        }

        var inFlight = _pinsInFlight.GetOrAdd(app.AppId, static _ => new StrongBox<int>());
        if (app.Overrides.Count + Interlocked.Increment(ref inFlight.Value) > _maxPins)
        {
            Interlocked.Decrement(ref inFlight.Value);
            return new PinWrite(null, PinCapRetryAfterSeconds, PinCapMessage);
        }

        return new PinWrite(inFlight, null, null);
    }

    /// <summary>Admits <paramref name="count"/> events of this app; the seconds to wait when refused, else null.</summary>
    public int? AdmitEvents(string appId, int count) => Refusal(_events, appId, Math.Clamp(count, 1, _eventBurst));

    /// <summary>The Retry-After of a refused lease, in whole seconds (at least 1).</summary>
    public static int RetryAfterSeconds(RateLimitLease lease) =>
        lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)) : 1;

    public void Dispose()
    {
        _pins.Dispose();
        _events.Dispose();
    }

    private static PartitionedRateLimiter<string> PerApp(TokenBucketSettings settings)
    {
        var options = settings.ToLimiterOptions();
        return PartitionedRateLimiter.Create<string, string>(appId => RateLimitPartition.GetTokenBucketLimiter(appId, _ => options));
    }

    private static int? Refusal(PartitionedRateLimiter<string> limiter, string appId, int permits)
    {
        using var lease = limiter.AttemptAcquire(appId, permits);
        return lease.IsAcquired ? null : RetryAfterSeconds(lease);
    }
}

/// <summary>
/// One admitted or refused pin write. An admitted write that adds a pin holds a place under the app's
/// ceiling until disposed, by which time the pin is counted by the projection.
/// </summary>
internal readonly struct PinWrite(StrongBox<int>? reservation, int? retryAfterSeconds, string? message) : IDisposable
{
    public int? RetryAfterSeconds { get; } = retryAfterSeconds;

    public string? Message { get; } = message;

    public void Dispose()
    {
        if (reservation is not null)
        {
            Interlocked.Decrement(ref reservation.Value);
        }
    }
}

using System.ComponentModel.DataAnnotations;
using System.Threading.RateLimiting;

namespace Capgo.Edge.Server.Admission;

/// <summary>
/// Admission control of the plugin endpoints (section <c>Admission</c>): what one client network, one
/// app and the whole edge may ask of them before the answer is 429 <c>too_many_requests</c> with
/// <c>Retry-After</c>. Update checks of known apps have no per-network or per-app limit.
/// </summary>
internal sealed class AdmissionOptions : IValidatableObject
{
    public const string Section = "Admission";

    /// <summary>
    /// Requests to <c>/channel_self</c> (every method) per client network. A device calls it when its
    /// user picks a channel or the app shows the current one; a carrier NAT puts thousands behind one address.
    /// </summary>
    public TokenBucketSettings ChannelSelfPerNetwork { get; set; } = new() { TokenLimit = 100, TokensPerPeriod = 10 };

    /// <summary>Requests to <c>/stats</c> per client network (a request may carry a batch of events).</summary>
    public TokenBucketSettings StatsPerNetwork { get; set; } = new() { TokenLimit = 1_000, TokensPerPeriod = 100 };

    /// <summary>Device pins written (set or removed) through <c>/channel_self</c> per app, on this edge.</summary>
    public TokenBucketSettings PinsPerApp { get; set; } = new() { TokenLimit = 100, TokensPerPeriod = 1 };

    /// <summary>Events accepted through <c>/stats</c> per app, on this edge (a batch takes one token per event).</summary>
    public TokenBucketSettings EventsPerApp { get; set; } = new() { TokenLimit = 20_000, TokensPerPeriod = 2_000 };

    /// <summary>
    /// Pins an app may hold before <c>/channel_self</c> refuses to add one. The projection does not tell
    /// a device's own choice from the control plane's pin, so every pin of the app counts.
    /// </summary>
    [Range(1, 100_000_000)]
    public int MaxPinsPerApp { get; set; } = 100_000;

    /// <summary>Requests in flight on the plugin endpoints (<c>/updates</c>, <c>/stats</c>, <c>/channel_self</c>) at once.</summary>
    [Range(1, 1_000_000)]
    public int MaxConcurrentPluginRequests { get; set; } = 1_024;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        foreach (var (name, bucket) in new[]
                 {
                     (nameof(ChannelSelfPerNetwork), ChannelSelfPerNetwork),
                     (nameof(StatsPerNetwork), StatsPerNetwork),
                     (nameof(PinsPerApp), PinsPerApp),
                     (nameof(EventsPerApp), EventsPerApp),
                 })
        {
            var results = new List<ValidationResult>();
            Validator.TryValidateObject(bucket, new ValidationContext(bucket), results, validateAllProperties: true);
            foreach (var result in results)
            {
                yield return new ValidationResult($"{Section}:{name}: {result.ErrorMessage}", [name]);
            }
        }
    }
}

/// <summary>One token bucket: <see cref="TokenLimit"/> at once, refilled by <see cref="TokensPerPeriod"/> every <see cref="ReplenishmentPeriod"/>.</summary>
internal sealed class TokenBucketSettings
{
    [Range(1, 10_000_000)]
    public int TokenLimit { get; set; }

    [Range(1, 10_000_000)]
    public int TokensPerPeriod { get; set; }

    [Range(typeof(TimeSpan), "00:00:00.010", "1.00:00:00")]
    public TimeSpan ReplenishmentPeriod { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The library's options: no queue, a request over the limit is refused at once.</summary>
    public TokenBucketRateLimiterOptions ToLimiterOptions() => new()
    {
        TokenLimit = TokenLimit,
        TokensPerPeriod = TokensPerPeriod,
        ReplenishmentPeriod = ReplenishmentPeriod,
        QueueLimit = 0,
    };
}

using System.ComponentModel.DataAnnotations;

namespace Capgo.Edge.Server.Abuse;

/// <summary>Guards against abuse (section <c>Abuse</c>).</summary>
internal sealed class AbuseOptions
{
    public const string Section = "Abuse";

    /// <summary>Distinct unknown app ids one client network may ask for within <see cref="UnknownAppWindow"/>.</summary>
    [Range(1, 1024)]
    public int UnknownAppLimit { get; set; } = 20;

    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan UnknownAppWindow { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// How long a network that enumerated app ids gets 429 <c>on_premise_app</c> for every app it has
    /// not been served before (apps it was served stay served: see <see cref="AbuseGuard"/>).
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "7.00:00:00")]
    public TimeSpan BlockDuration { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// Client networks tracked at once; memory stays fixed (about 200 bytes each, plus 32 bytes of
    /// served apps each) whatever the traffic.
    /// </summary>
    [Range(16, 4_194_304)]
    public int TrackedClients { get; set; } = 65_536;

    /// <summary>IPv4 addresses sharing this prefix count as one client network (per-client limits).</summary>
    [Range(8, 32)]
    public int Ipv4PrefixLength { get; set; } = 32;

    /// <summary>IPv6 addresses sharing this prefix count as one client network: a /64 is one subscriber.</summary>
    [Range(32, 128)]
    public int Ipv6PrefixLength { get; set; } = 64;

    /// <summary>App id → seconds: these apps are answered 429 <c>too_many_requests</c> with that Retry-After.</summary>
    public Dictionary<string, int> ThrottledApps { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Proxies (IP addresses) whose <c>X-Forwarded-For</c> is trusted for the client address.</summary>
    public List<string> TrustedProxies { get; set; } = [];
}

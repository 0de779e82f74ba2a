using System.Threading.RateLimiting;
using Capgo.Edge.Server.Abuse;
using Capgo.Edge.Server.Plugin;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;

namespace Capgo.Edge.Server.Admission;

/// <summary>
/// Admission control through ASP.NET Core's rate limiter: a concurrency limit shared by every plugin
/// route, and named per-network token-bucket policies that the writing routes require
/// (<see cref="ChannelSelfPolicy"/>, <see cref="StatsPolicy"/>). Only requests routed to a plugin
/// route enter the limiter; gRPC, probes and metrics never do. Every refusal is the contract's 429.
/// </summary>
internal static class AdmissionExtensions
{
    public const string ChannelSelfPolicy = "channel_self-per-network";
    public const string StatsPolicy = "stats-per-network";
    public const string RefusedMessage = "Too many requests, retry later";

    /// <summary>The partition of requests without a client address (a Unix socket): never limited per network.</summary>
    private static readonly ClientNetwork NoAddress = new(UInt128.MaxValue);

    public static IServiceCollection AddEdgeAdmission(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<AdmissionOptions>()
            .Bind(configuration.GetSection(AdmissionOptions.Section))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddSingleton<AppAdmission>();
        services.AddRateLimiter(static _ => { });
        services.AddOptions<RateLimiterOptions>().Configure<IOptions<AdmissionOptions>, AbuseGuard>(static (limiter, admission, guard) =>
        {
            var o = admission.Value;
            limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            limiter.OnRejected = static (rejected, _) =>
                new ValueTask(PluginReplies.TooManyRequestsAsync(rejected.HttpContext, AppAdmission.RetryAfterSeconds(rejected.Lease), RefusedMessage));

            // Every request reaching the limiter is on a plugin route (UseEdgeAdmission): one partition.
            // The partition is made once: a lambda building it would allocate a delegate per request.
            var concurrency = new ConcurrencyLimiterOptions { PermitLimit = o.MaxConcurrentPluginRequests, QueueLimit = 0 };
            var partition = RateLimitPartition.GetConcurrencyLimiter(true, _ => concurrency);
            limiter.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, bool>(_ => partition);
            AddNetworkPolicy(limiter, ChannelSelfPolicy, o.ChannelSelfPerNetwork, guard);
            AddNetworkPolicy(limiter, StatsPolicy, o.StatsPerNetwork, guard);
        });
        return services;
    }

    /// <summary>The limiter, on plugin routes only (after the client address is known and the route chosen).</summary>
    public static IApplicationBuilder UseEdgeAdmission(this IApplicationBuilder app) =>
        app.UseWhen(static context => context.GetEndpoint()?.Metadata.GetMetadata<PluginRoute>() is not null, static branch => branch.UseRateLimiter());

    /// <summary>Marks a plugin route: it counts against <see cref="AdmissionOptions.MaxConcurrentPluginRequests"/>.</summary>
    public static TBuilder AsPluginRoute<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder => builder.WithMetadata(PluginRoute.Instance);

    /// <summary>A plugin route that also takes a token from its client network's bucket of <paramref name="networkPolicy"/>.</summary>
    public static TBuilder AsPluginRoute<TBuilder>(this TBuilder builder, string networkPolicy)
        where TBuilder : IEndpointConventionBuilder => builder.AsPluginRoute().RequireRateLimiting(networkPolicy);

    private static void AddNetworkPolicy(RateLimiterOptions limiter, string name, TokenBucketSettings settings, AbuseGuard guard)
    {
        var options = settings.ToLimiterOptions();
        limiter.AddPolicy(name, context => context.Connection.RemoteIpAddress is { } address
            ? RateLimitPartition.GetTokenBucketLimiter(guard.NetworkOf(address), _ => options)
            : RateLimitPartition.GetNoLimiter(NoAddress));
    }

    /// <summary>The metadata of a plugin route.</summary>
    private sealed class PluginRoute
    {
        public static PluginRoute Instance { get; } = new();
    }
}

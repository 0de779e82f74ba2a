using System.Net;
using Microsoft.AspNetCore.HttpOverrides;

namespace Capgo.Edge.Server.Abuse;

internal static class AbuseExtensions
{
    /// <summary>The abuse guard, and the forwarded client address from the trusted proxies only.</summary>
    public static IServiceCollection AddEdgeAbuseGuards(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<AbuseOptions>()
            .Bind(configuration.GetSection(AbuseOptions.Section))
            .ValidateDataAnnotations()
            .Validate(static o => o.TrustedProxies.TrueForAll(static p => IPAddress.TryParse(p, out _)), "Abuse:TrustedProxies must hold IP addresses")
            .Validate(static o => o.ThrottledApps.Values.All(static s => s is > 0 and <= 86_400), "Abuse:ThrottledApps values are Retry-After seconds (1-86400)")
            .ValidateOnStart();
        services.AddSingleton<AbuseGuard>();
        services.Configure<ForwardedHeadersOptions>(options =>
        {
            options.KnownIPNetworks.Clear();
            options.KnownProxies.Clear();
            foreach (var proxy in configuration.GetSection(AbuseOptions.Section + ":TrustedProxies").Get<string[]>() ?? [])
            {
                if (IPAddress.TryParse(proxy, out var address))
                {
                    options.KnownProxies.Add(address);
                }
            }

            // With no known proxy at all, the middleware trusts every sender: then forward nothing.
            options.ForwardedHeaders = options.KnownProxies.Count > 0 ? ForwardedHeaders.XForwardedFor : ForwardedHeaders.None;
        });
        return services;
    }

    /// <summary>Behind a trusted proxy, the client address is the forwarded one; from anyone else, never.</summary>
    public static IApplicationBuilder UseEdgeForwardedClientAddress(this IApplicationBuilder app) => app.UseForwardedHeaders();
}

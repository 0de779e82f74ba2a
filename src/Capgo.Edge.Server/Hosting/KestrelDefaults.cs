using Microsoft.Extensions.Configuration.Memory;

namespace Capgo.Edge.Server.Hosting;

internal static class KestrelDefaults
{
    public const string HttpUrl = "http://127.0.0.1:5080";
    public const string GrpcUrl = "http://127.0.0.1:5081";

    /// <summary>
    /// Two named endpoints, configurable the standard way (<c>Kestrel:Endpoints:Http</c> and
    /// <c>Kestrel:Endpoints:Grpc</c>). The defaults sit below every other configuration source.
    /// </summary>
    public static WebApplicationBuilder AddEdgeKestrel(this WebApplicationBuilder builder)
    {
        builder.Configuration.Sources.Insert(0, new MemoryConfigurationSource
        {
            InitialData = new Dictionary<string, string?>
            {
                ["Kestrel:Endpoints:Http:Url"] = HttpUrl,
                ["Kestrel:Endpoints:Grpc:Url"] = GrpcUrl,
                ["Kestrel:Endpoints:Grpc:Protocols"] = "Http2",
                ["Kestrel:AddServerHeader"] = "false",

                // Limits chosen for a public API answered in microseconds (docs/reliability.md).
                // The plugin body reader enforces the API's own limit with the contract's 413.
                ["Kestrel:Limits:MaxRequestBodySize"] = "1048576",
                ["Kestrel:Limits:MaxConcurrentConnections"] = "10000",
                ["Kestrel:Limits:MaxRequestHeadersTotalSize"] = "32768",
                ["Kestrel:Limits:MaxRequestHeaderCount"] = "64",
                ["Kestrel:Limits:MaxRequestLineSize"] = "8192",
                ["Kestrel:Limits:KeepAliveTimeout"] = "00:01:00",
                ["Kestrel:Limits:RequestHeadersTimeout"] = "00:00:10",
                ["Kestrel:Limits:Http2:MaxStreamsPerConnection"] = "256",
                ["Kestrel:Limits:Http2:MaxRequestHeaderFieldSize"] = "8192",
                ["Kestrel:Limits:Http2:HeaderTableSize"] = "4096",
                ["Kestrel:Limits:Http2:KeepAlivePingDelay"] = "00:00:30",
                ["Kestrel:Limits:Http2:KeepAlivePingTimeout"] = "00:00:20",
                ["Shutdown:Timeout"] = "00:00:15",
            },
        });

        // HTTP/2 on the JSON endpoint needs TLS (ALPN): over cleartext it would be refused with a
        // warning at every start, so an http:// URL serves HTTP/1.1 and an https:// one both.
        if (string.IsNullOrEmpty(builder.Configuration["Kestrel:Endpoints:Http:Protocols"]))
        {
            builder.Configuration.Sources.Insert(1, new MemoryConfigurationSource
            {
                InitialData = new Dictionary<string, string?> { ["Kestrel:Endpoints:Http:Protocols"] = HttpProtocols(builder.Configuration["Kestrel:Endpoints:Http:Url"]) },
            });
        }

        // Kestrel reads only its endpoints from configuration; limits are bound here, so operators
        // change them the standard way (Kestrel:Limits:...).
        builder.Services.Configure<Microsoft.AspNetCore.Server.Kestrel.Core.KestrelServerOptions>(builder.Configuration.GetSection("Kestrel"));

        // SIGTERM: stop accepting, let in-flight requests finish and queues flush, within this time.
        var shutdown = builder.Configuration.GetValue("Shutdown:Timeout", TimeSpan.FromSeconds(15));
        builder.Services.Configure<HostOptions>(options => options.ShutdownTimeout = shutdown);
        return builder;
    }

    /// <summary>The JSON endpoint's protocols for its URL: both over TLS, HTTP/1.1 over cleartext.</summary>
    internal static string HttpProtocols(string? url) =>
        url is not null && url.StartsWith("https://", StringComparison.OrdinalIgnoreCase) ? "Http1AndHttp2" : "Http1";
}

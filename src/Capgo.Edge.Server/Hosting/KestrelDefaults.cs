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
                ["Kestrel:Endpoints:Http:Protocols"] = "Http1AndHttp2",
                ["Kestrel:Endpoints:Grpc:Url"] = GrpcUrl,
                ["Kestrel:Endpoints:Grpc:Protocols"] = "Http2",
            },
        });

        builder.WebHost.ConfigureKestrel(static kestrel =>
        {
            kestrel.AddServerHeader = false;

            // The JSON guard enforces the API's own, smaller limit with the contract's 413 body.
            kestrel.Limits.MaxRequestBodySize = 1024 * 1024;
        });
        return builder;
    }
}

using Capgo.Edge.Server.Hosting;

namespace Capgo.Edge.Server.Tests.Hosting;

/// <summary>The JSON endpoint serves what its URL can carry, so a default start logs no protocol warning.</summary>
public sealed class KestrelDefaultsTests
{
    [Theory]
    [InlineData(new string[0], "Http1")]
    [InlineData(new[] { "--Kestrel:Endpoints:Http:Url=http://0.0.0.0:8080" }, "Http1")]
    [InlineData(new[] { "--Kestrel:Endpoints:Http:Url=https://0.0.0.0:8443" }, "Http1AndHttp2")]
    [InlineData(new[] { "--Kestrel:Endpoints:Http:Url=https://0.0.0.0:8443", "--Kestrel:Endpoints:Http:Protocols=Http1" }, "Http1")]
    public void A_cleartext_json_endpoint_serves_http1_and_a_tls_one_both_unless_configured(string[] args, string expected)
    {
        var builder = Microsoft.AspNetCore.Builder.WebApplication.CreateBuilder(args);
        builder.AddEdgeKestrel();

        Assert.Equal(expected, builder.Configuration["Kestrel:Endpoints:Http:Protocols"]);
        Assert.Equal("Http2", builder.Configuration["Kestrel:Endpoints:Grpc:Protocols"]);
    }
}

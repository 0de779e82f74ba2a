using Capgo.Edge.Tests.Support;
using Microsoft.AspNetCore.Builder;

namespace Capgo.Edge.ControlPlane.Service.Tests;

/// <summary>The control-plane service as the process builds it, on a free loopback port, with short intervals.</summary>
internal sealed class TestService : IAsyncDisposable
{
    private readonly WebApplication _app;

    private TestService(WebApplication app, int port)
    {
        _app = app;
        Http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
    }

    public HttpClient Http { get; }

    public IServiceProvider Services => _app.Services;

    public static async Task<TestService> StartAsync(string redis, params string[] args)
    {
        var port = RedisServer.FreePort();
        var app = ServiceHost.Build(
        [
            $"--ConnectionStrings:Redis={redis}",
            $"--Kestrel:Endpoints:Http:Url=http://127.0.0.1:{port}",
            "--Analytics:ClaimAfter=00:00:01",
            "--Analytics:IdleDelay=00:00:00.020",
            "--Guards:Interval=00:00:00.200",
            "--Logging:LogLevel:Default=Warning",
            .. args,
        ]);
        await app.StartAsync();
        return new TestService(app, port);
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

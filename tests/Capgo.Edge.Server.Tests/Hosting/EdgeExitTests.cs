using Capgo.Edge.Server.Hosting;
using Capgo.Edge.Tests.Support;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Capgo.Edge.Server.Tests.Hosting;

/// <summary>The process's exit code tells a failure from a requested stop.</summary>
public sealed class EdgeExitTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("capgo-exit-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private WebApplication Build(Action<IServiceCollection>? services = null) =>
        EdgeHost.Build(
            [
                "--Kestrel:Endpoints:Http:Url=http://127.0.0.1:0",
                "--Kestrel:Endpoints:Grpc:Url=http://127.0.0.1:0",
                $"--Projection:Directory={_folder}",
                "--Logging:LogLevel:Default=Warning",
            ],
            builder => services?.Invoke(builder.Services));

    [Fact]
    public async Task A_background_service_that_fails_stops_the_edge_with_a_non_zero_exit_code()
    {
        await using var app = Build(static s => s.AddHostedService<FailingService>());

        var code = await EdgeExit.RunAsync(app).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(EdgeExit.ServiceFailed, code);
    }

    [Fact]
    public async Task A_requested_stop_exits_with_zero()
    {
        await using var app = Build();
        var run = EdgeExit.RunAsync(app);
        await Eventually.TrueAsync(() => app.Lifetime.ApplicationStarted.IsCancellationRequested, "the edge to start");

        app.Lifetime.StopApplication();

        Assert.Equal(0, await run.WaitAsync(TimeSpan.FromSeconds(30)));
    }

    private sealed class FailingService : BackgroundService
    {
        protected override async Task ExecuteAsync(CancellationToken stoppingToken)
        {
            await Task.Delay(50, stoppingToken);
            throw new InvalidOperationException("a defect in a background service");
        }
    }
}

namespace Capgo.Edge.Server.Hosting;

/// <summary>
/// The process's exit code. A background service that fails stops the host (the default
/// <c>BackgroundServiceExceptionBehavior.StopHost</c>), but the host then returns as from a normal
/// stop; an orchestrator must see a failure to restart the edge and alert, so the code says which.
/// </summary>
internal static partial class EdgeExit
{
    /// <summary>EX_SOFTWARE (sysexits.h): an internal failure stopped the edge.</summary>
    public const int ServiceFailed = 70;

    /// <summary>Runs the edge until it stops; 0 after a requested stop, <see cref="ServiceFailed"/> when a service failed.</summary>
    public static async Task<int> RunAsync(WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        await using (app.ConfigureAwait(false))
        {
            await app.StartAsync().ConfigureAwait(false);
            await app.WaitForShutdownAsync().ConfigureAwait(false);
            return Outcome(app);
        }
    }

    /// <summary>Once stopped: which services failed, logged, and the code that says so.</summary>
    private static int Outcome(WebApplication app)
    {
        var failed = app.Services.GetServices<IHostedService>()
            .OfType<BackgroundService>()
            .Where(static s => s.ExecuteTask is { IsFaulted: true })
            .ToList();
        if (failed.Count == 0)
        {
            return 0;
        }

        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(EdgeExit).FullName!);
        foreach (var service in failed)
        {
            var name = service.GetType().Name;
            var exception = service.ExecuteTask!.Exception?.GetBaseException();
            LogServiceFailed(logger, name, exception);
        }

        return ServiceFailed;
    }

    [LoggerMessage(EventId = 1901, Level = LogLevel.Critical, Message = "The edge stopped because background service {Service} failed")]
    private static partial void LogServiceFailed(ILogger logger, string service, Exception? exception);
}

using Capgo.Edge.Server.Abuse;
using Capgo.Edge.Server.Admin;
using Capgo.Edge.Server.Admission;
using Capgo.Edge.Server.Events;
using Capgo.Edge.Server.Observability;
using Capgo.Edge.Server.Plugin;
using Capgo.Edge.Server.Projection;
using Capgo.Edge.Server.Updates;

namespace Capgo.Edge.Server.Hosting;

/// <summary>The edge, feature by feature. Tests build it the same way the process does.</summary>
internal static class EdgeHost
{
    /// <param name="args">Command-line configuration.</param>
    /// <param name="customize">Lets benchmarks swap the server or logging; the features stay the same.</param>
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? customize = null)
    {
        var builder = CreateBuilder(args);
        customize?.Invoke(builder);

        var app = builder.Build();
        app.UseEdgeForwardedClientAddress();
        app.UseEdgeAdmission();
        app.MapEdgeUpdates();
        app.MapEdgeStats();
        app.MapEdgeChannelSelf();
        app.MapEdgeHealth();
        app.MapEdgeAdmin(static admin =>
        {
            admin.MapEdgeExplain();
            admin.MapEdgeHealthDetails();
            admin.MapEdgeObservability();
        });
        return app;
    }

    /// <summary>Kestrel's endpoints and every feature's services, before anything is mapped.</summary>
    public static WebApplicationBuilder CreateBuilder(string[] args)
    {
        // Settings files sit beside the binary, wherever the process is started from.
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        builder.AddEdgeKestrel();
        builder.Services.AddEdgeProjection(builder.Configuration);
        builder.Services.AddEdgePluginApi(builder.Configuration);
        builder.Services.AddEdgeUpdates();
        builder.Services.AddEdgeEvents(builder.Configuration);
        builder.Services.AddEdgeObservability();
        builder.Services.AddEdgeHealth();
        builder.Services.AddEdgeChannelSelf(builder.Configuration);
        builder.Services.AddEdgeAdmin(builder.Configuration);
        builder.Services.AddEdgeAbuseGuards(builder.Configuration);
        builder.Services.AddEdgeAdmission(builder.Configuration);
        return builder;
    }
}

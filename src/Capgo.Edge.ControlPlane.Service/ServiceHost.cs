using Capgo.Edge.ControlPlane.Service.Dashboard;

namespace Capgo.Edge.ControlPlane.Service;

/// <summary>The control-plane service, feature by feature. Tests build it the same way the process does.</summary>
internal static class ServiceHost
{
    /// <summary>Where the service listens when <c>Kestrel:Endpoints:Http:Url</c> is not set.</summary>
    public const string DefaultUrl = "http://127.0.0.1:5090";

    public static WebApplication Build(string[] args)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        if (string.IsNullOrEmpty(builder.Configuration["Kestrel:Endpoints:Http:Url"]))
        {
            builder.Configuration["Kestrel:Endpoints:Http:Url"] = DefaultUrl;
        }

        builder.Services.AddControlPlaneRedis(builder.Configuration);
        builder.Services.AddControlPlaneAnalytics(builder.Configuration);
        builder.Services.AddControlPlaneGuards(builder.Configuration);
        builder.Services.AddControlPlaneReleaseApi();
        builder.Services.AddControlPlaneHealth();
        builder.Services.AddControlPlaneMetrics();
        builder.Services.AddControlPlaneDashboard();

        var app = builder.Build();
        app.MapControlPlaneReleaseApi();
        app.MapControlPlaneHealth();
        app.MapControlPlaneMetrics();
        app.MapControlPlaneDashboard();
        return app;
    }
}

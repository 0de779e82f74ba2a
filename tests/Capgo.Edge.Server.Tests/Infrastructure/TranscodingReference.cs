using Capgo.Edge.Server.Abuse;
using Capgo.Edge.Server.Events;
using Capgo.Edge.Server.Hosting;
using Capgo.Edge.Server.Observability;
using Capgo.Edge.Server.Plugin;
using Capgo.Edge.Server.Projection;
using Capgo.Edge.Server.Updates;
using Microsoft.AspNetCore.Builder;

namespace Capgo.Edge.Server.Tests.Infrastructure;

/// <summary>
/// The edge's update service with stock gRPC JSON transcoding answering <c>POST /updates</c>: the same
/// services as <see cref="EdgeHost"/>, with the gRPC service mapped and the JSON check endpoint not.
/// The reference the endpoint's replies are compared against; it lives in the tests only.
/// </summary>
internal static class TranscodingReference
{
    public static WebApplication Build(string[] args)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        builder.AddEdgeKestrel();
        builder.Services.AddEdgeProjection(builder.Configuration);
        builder.Services.AddEdgePluginApi(builder.Configuration);
        builder.Services.AddEdgeUpdates();
        builder.Services.AddEdgeEvents(builder.Configuration);
        builder.Services.AddEdgeObservability();
        builder.Services.AddEdgeHealth();
        builder.Services.AddEdgeAbuseGuards(builder.Configuration);

        var app = builder.Build();
        app.MapGrpcService<UpdateServiceImpl>();
        app.MapEdgeHealth();
        return app;
    }
}

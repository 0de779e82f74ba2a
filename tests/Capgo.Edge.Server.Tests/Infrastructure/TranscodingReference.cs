using Capgo.Edge.Server.Hosting;
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
        var app = EdgeHost.CreateBuilder(args).Build();
        app.MapGrpcService<UpdateServiceImpl>();
        app.MapEdgeHealth();
        return app;
    }
}

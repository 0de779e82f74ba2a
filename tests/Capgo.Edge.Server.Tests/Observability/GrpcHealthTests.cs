using Capgo.Edge.Server.Tests.Infrastructure;
using Capgo.Edge.Tests.Support;
using Grpc.Core;
using Grpc.Health.V1;
using static Capgo.Edge.Server.Tests.ChannelSelf.PluginApps;

namespace Capgo.Edge.Server.Tests.Observability;

/// <summary>The standard gRPC health service (Grpc.Health.V1) on the gRPC endpoint.</summary>
public sealed class GrpcHealthTests
{
    private static async Task<HealthCheckResponse.Types.ServingStatus> CheckAsync(TestEdge edge, string service = "")
    {
        var client = new Health.HealthClient(edge.Channel);
        var reply = await client.CheckAsync(new HealthCheckRequest { Service = service }, deadline: DateTime.UtcNow.AddSeconds(10));
        return reply.Status;
    }

    [Fact]
    public async Task Not_serving_until_a_projection_is_loaded_then_serving()
    {
        using var directory = new TempDirectory();
        await using var edge = await TestEdge.StartAsync(directory.Path);

        Assert.Equal(HealthCheckResponse.Types.ServingStatus.NotServing, await CheckAsync(edge));

        directory.WriteAtomically(SampleAppId + ".json", Sample().ToJsonString());
        await Eventually.TrueAsync(
            async () => await CheckAsync(edge) == HealthCheckResponse.Types.ServingStatus.Serving,
            "gRPC health to report SERVING once the projection is loaded",
            TimeSpan.FromSeconds(10));

        // The JSON readiness agrees.
        Assert.Equal(System.Net.HttpStatusCode.OK, (await edge.GetAsync("/healthz/ready")).Status);
    }

    [Fact]
    public async Task An_unknown_service_is_not_found()
    {
        using var directory = new TempDirectory();
        await using var edge = await StartEdgeAsync(directory, [Sample()]);

        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, await CheckAsync(edge));
        var error = await Assert.ThrowsAsync<RpcException>(() => CheckAsync(edge, "no.such.Service"));
        Assert.Equal(StatusCode.NotFound, error.StatusCode);
    }
}

using Capgo.Edge.Server.Tests.Infrastructure;
using Capgo.Edge.Tests.Support;
using Google.Protobuf.Reflection;
using Grpc.Reflection.V1Alpha;

namespace Capgo.Edge.Server.Tests.Updates;

/// <summary>Server reflection on the gRPC endpoint: grpcurl, Postman and grpcui need no proto file.</summary>
public sealed class GrpcReflectionTests
{
    [Fact]
    public async Task Reflection_lists_the_update_service_and_serves_its_proto()
    {
        using var directory = new TempDirectory();
        await using var edge = await TestEdge.StartAsync(directory.Path);
        var client = new ServerReflection.ServerReflectionClient(edge.Channel);

        using var call = client.ServerReflectionInfo(deadline: DateTime.UtcNow.AddSeconds(10));
        await call.RequestStream.WriteAsync(new ServerReflectionRequest { ListServices = "" });
        await call.RequestStream.WriteAsync(new ServerReflectionRequest { FileContainingSymbol = "capgo.edge.v1.UpdateService" });
        await call.RequestStream.CompleteAsync();

        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
        var services = call.ResponseStream.Current.ListServicesResponse.Service.Select(static s => s.Name).ToList();
        Assert.Contains("capgo.edge.v1.UpdateService", services);

        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
        var files = call.ResponseStream.Current.FileDescriptorResponse.FileDescriptorProto
            .Select(static bytes => FileDescriptorProto.Parser.ParseFrom(bytes))
            .ToList();
        var service = files.SelectMany(static f => f.Service).Single(static s => s.Name == "UpdateService");
        Assert.Equal(["CheckForUpdate", "Echo"], service.Method.Select(static m => m.Name));
        Assert.Equal(".capgo.edge.v1.UpdateReply", service.Method[0].OutputType);
    }
}

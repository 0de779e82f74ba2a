using Capgo.Edge.Server.Plugin;
using Grpc.AspNetCore.Server;
using Microsoft.AspNetCore.Grpc.JsonTranscoding;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.Extensions.Options;

namespace Capgo.Edge.Server.Updates;

/// <summary>
/// What one gRPC call may make the edge hold, and answers a client caused instead of UNKNOWN:
/// <list type="bullet">
/// <item>A request message over <c>HttpApi:MaxRequestBodyBytes</c> (the JSON side's body limit) is refused
/// by Grpc.AspNetCore with RESOURCE_EXHAUSTED once its 5-byte prefix is read. The framework's default,
/// 4 MiB, let every call of 256 per connection buffer 64 times what a plugin body may be.</item>
/// <item>Kestrel's body limit (1 MiB) does not apply to the service's methods: it rejects a declared
/// Content-Length at the first read, before the framework sees the prefix, and its exception reached
/// the client as UNKNOWN. A call still buffers at most one message under the limit: the framework
/// refuses data after it.</item>
/// <item>No compressed messages: the framework inflates one into memory with no bound before any limit
/// applies, so a 64 KiB gzip frame would cost 64 MiB. A compressed request gets UNIMPLEMENTED and
/// <c>grpc-accept-encoding: identity</c>, as the gRPC compression spec has a client retry uncompressed.
/// Replies stay uncompressed too; an update request is a few hundred bytes.</item>
/// </list>
/// </summary>
internal static class GrpcMessageLimits
{
    public static IServiceCollection AddEdgeGrpcMessageLimits(this IServiceCollection services)
    {
        services.AddOptions<GrpcServiceOptions>().Configure<IOptions<HttpApiOptions>>(static (grpc, http) =>
        {
            grpc.MaxReceiveMessageSize = http.Value.MaxRequestBodyBytes;
            grpc.CompressionProviders.Clear();
        });
        return services;
    }

    /// <summary>
    /// Lifts Kestrel's body limit on a gRPC service's methods: the message limit above bounds them. The
    /// service's JSON transcoding routes (<c>POST /echo</c>) read their body whole and keep Kestrel's limit.
    /// </summary>
    public static TBuilder WithGrpcMessageLimits<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder
    {
        builder.Add(static endpoint =>
        {
            if (!endpoint.Metadata.OfType<GrpcJsonTranscodingMetadata>().Any())
            {
                endpoint.Metadata.Add(MessageLimitOnly.Instance);
            }
        });
        return builder;
    }

    private sealed class MessageLimitOnly : IRequestSizeLimitMetadata
    {
        public static MessageLimitOnly Instance { get; } = new();

        public long? MaxRequestBodySize => null;
    }
}

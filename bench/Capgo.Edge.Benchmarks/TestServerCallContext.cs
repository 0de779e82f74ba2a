using Grpc.Core;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Capgo.Edge.Benchmarks;

/// <summary>
/// The smallest <see cref="ServerCallContext"/> the handler can run with: <c>GetHttpContext()</c>
/// finds the <see cref="HttpContext"/> in <see cref="ServerCallContext.UserState"/> under the key
/// Grpc.AspNetCore uses when no real call context is present.
/// </summary>
public sealed class TestServerCallContext : ServerCallContext
{
    private const string HttpContextKey = "__HttpContext";
    private readonly Dictionary<object, object> _userState;

    public TestServerCallContext(HttpContext httpContext)
    {
        HttpContext = httpContext;
        _userState = new Dictionary<object, object> { [HttpContextKey] = httpContext };
    }

    /// <summary>An HTTP/2 request with the given content type, as Kestrel would hand it over (trailers included).</summary>
    public static TestServerCallContext Create(string contentType, string path)
    {
        var http = new DefaultHttpContext();
        http.Features.Set<IHttpResponseTrailersFeature>(new TrailersFeature());
        http.Request.Method = "POST";
        http.Request.Protocol = "HTTP/2";
        http.Request.Path = path;
        http.Request.ContentType = contentType;
        return new TestServerCallContext(http);
    }

    public HttpContext HttpContext { get; }

    /// <summary>The HTTP response trailers, where the handler appends the generation.</summary>
    public IHeaderDictionary HttpTrailers => HttpContext.Features.Get<IHttpResponseTrailersFeature>()!.Trailers;

    protected override string MethodCore => HttpContext.Request.Path.Value ?? "";
    protected override string HostCore => "localhost";
    protected override string PeerCore => "ipv4:127.0.0.1:50000";
    protected override DateTime DeadlineCore => DateTime.MaxValue;
    protected override Metadata RequestHeadersCore { get; } = [];
    protected override CancellationToken CancellationTokenCore => CancellationToken.None;
    protected override Metadata ResponseTrailersCore { get; } = [];
    protected override Status StatusCore { get; set; }
    protected override WriteOptions? WriteOptionsCore { get; set; }
    protected override AuthContext AuthContextCore { get; } = new(null, []);
    protected override IDictionary<object, object> UserStateCore => _userState;

    protected override ContextPropagationToken CreatePropagationTokenCore(ContextPropagationOptions? options) =>
        throw new NotSupportedException();

    protected override Task WriteResponseHeadersAsyncCore(Metadata responseHeaders) => Task.CompletedTask;

    private sealed class TrailersFeature : IHttpResponseTrailersFeature
    {
        public IHeaderDictionary Trailers { get; set; } = new HeaderDictionary();
    }
}

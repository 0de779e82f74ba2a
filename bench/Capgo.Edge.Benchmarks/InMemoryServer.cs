using System.IO.Pipelines;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Capgo.Edge.Benchmarks;

/// <summary>
/// An <see cref="IServer"/> with no sockets: requests are feature collections handed straight to
/// the application's pipeline (routing, the JSON check endpoint, gRPC, JSON transcoding), so a benchmark
/// measures everything the edge runs per request except Kestrel's HTTP parsing and I/O.
/// </summary>
public sealed class InMemoryServer : IServer
{
    private Func<IFeatureCollection, Task<InMemoryResponse>>? _send;

    public IFeatureCollection Features { get; } = new FeatureCollection();

    public Task StartAsync<TContext>(IHttpApplication<TContext> application, CancellationToken cancellationToken)
        where TContext : notnull
    {
        _send = async features =>
        {
            var context = application.CreateContext(features);
            Exception? error = null;
            try
            {
                await application.ProcessRequestAsync(context).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                error = ex;
                throw;
            }
            finally
            {
                var response = features.Get<InMemoryResponseFeature>()!;
                await response.FireOnStartingAsync().ConfigureAwait(false);
                await features.Get<IHttpResponseBodyFeature>()!.CompleteAsync().ConfigureAwait(false);
                application.DisposeContext(context, error);
            }

            return features.Get<InMemoryResponseFeature>()!.ToResponse(features);
        };
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public void Dispose()
    {
    }

    /// <summary>Sends one request through the pipeline.</summary>
    public Task<InMemoryResponse> SendAsync(string path, string contentType, byte[] body, bool http2)
    {
        var send = _send ?? throw new InvalidOperationException("the host is not started");
        var headers = new HeaderDictionary
        {
            ["Content-Type"] = contentType,
            ["Content-Length"] = body.Length.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Host"] = "localhost",
        };
        if (http2)
        {
            headers["TE"] = "trailers";
        }

        var features = new FeatureCollection();
        features.Set<IHttpRequestFeature>(new HttpRequestFeature
        {
            Method = "POST",
            Scheme = "http",
            Protocol = http2 ? "HTTP/2" : "HTTP/1.1",
            Path = path,
            PathBase = "",
            QueryString = "",
            RawTarget = path,
            Headers = headers,
            Body = new MemoryStream(body, writable: false),
        });
        var response = new InMemoryResponseFeature();
        features.Set<IHttpResponseFeature>(response);
        features.Set(response);
        features.Set(response.CreateBodyFeature());
        features.Set<IHttpResponseTrailersFeature>(response);
        features.Set<IHttpRequestLifetimeFeature>(new HttpRequestLifetimeFeature());
        return send(features);
    }
}

/// <summary>Status, headers, body and trailers of one in-memory request.</summary>
public sealed record InMemoryResponse(int StatusCode, IHeaderDictionary Headers, byte[] Body, IHeaderDictionary Trailers);

/// <summary>The response side of an in-memory request, with OnStarting support and trailers.</summary>
public sealed class InMemoryResponseFeature : IHttpResponseFeature, IHttpResponseTrailersFeature
{
    private List<(Func<object, Task> Callback, object State)>? _onStarting;

    public InMemoryResponseFeature() => Body = new StartingStream(this);

    public int StatusCode { get; set; } = 200;
    public string? ReasonPhrase { get; set; }
    public IHeaderDictionary Headers { get; set; } = new HeaderDictionary();
    public Stream Body { get; set; }
    public bool HasStarted { get; private set; }
    public IHeaderDictionary Trailers { get; set; } = new HeaderDictionary();

    public void OnStarting(Func<object, Task> callback, object state) => (_onStarting ??= []).Add((callback, state));

    public void OnCompleted(Func<object, Task> callback, object state)
    {
    }

    public async Task FireOnStartingAsync()
    {
        if (HasStarted)
        {
            return;
        }

        HasStarted = true;
        if (_onStarting is null)
        {
            return;
        }

        for (var i = _onStarting.Count - 1; i >= 0; i--)
        {
            await _onStarting[i].Callback(_onStarting[i].State).ConfigureAwait(false);
        }
    }

    public IHttpResponseBodyFeature CreateBodyFeature() => new StartingBodyFeature(this);

    /// <summary>The first body byte starts the response, as with Kestrel: OnStarting runs, headers freeze.</summary>
    private void Start() => FireOnStartingAsync().GetAwaiter().GetResult();

    /// <summary>Like Kestrel, a write to <c>BodyWriter</c> starts the response even before a flush.</summary>
    private sealed class StartingBodyFeature(InMemoryResponseFeature owner) : IHttpResponseBodyFeature
    {
        private readonly StreamResponseBodyFeature _inner = new(owner.Body);
        private StartingPipeWriter? _writer;

        public Stream Stream => _inner.Stream;

        public PipeWriter Writer => _writer ??= new StartingPipeWriter(owner, _inner.Writer);

        public Task CompleteAsync() => _inner.CompleteAsync();

        public void DisableBuffering() => _inner.DisableBuffering();

        public Task SendFileAsync(string path, long offset, long? count, CancellationToken cancellationToken = default) =>
            _inner.SendFileAsync(path, offset, count, cancellationToken);

        public Task StartAsync(CancellationToken cancellationToken = default)
        {
            owner.Start();
            return _inner.StartAsync(cancellationToken);
        }
    }

    private sealed class StartingPipeWriter(InMemoryResponseFeature owner, PipeWriter inner) : PipeWriter
    {
        public override void Advance(int bytes)
        {
            owner.Start();
            inner.Advance(bytes);
        }

        public override Memory<byte> GetMemory(int sizeHint = 0) => inner.GetMemory(sizeHint);

        public override Span<byte> GetSpan(int sizeHint = 0) => inner.GetSpan(sizeHint);

        public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default)
        {
            owner.Start();
            return inner.FlushAsync(cancellationToken);
        }

        public override void CancelPendingFlush() => inner.CancelPendingFlush();

        public override void Complete(Exception? exception = null) => inner.Complete(exception);

        public override ValueTask CompleteAsync(Exception? exception = null) => inner.CompleteAsync(exception);
    }

    private sealed class StartingStream(InMemoryResponseFeature owner) : MemoryStream
    {
        public override void Write(byte[] buffer, int offset, int count)
        {
            owner.Start();
            base.Write(buffer, offset, count);
        }

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            owner.Start();
            base.Write(buffer);
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        {
            owner.Start();
            return base.WriteAsync(buffer, offset, count, cancellationToken);
        }

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            owner.Start();
            return base.WriteAsync(buffer, cancellationToken);
        }
    }

    public InMemoryResponse ToResponse(IFeatureCollection features) =>
        new(StatusCode, Headers, ((MemoryStream)Body).ToArray(), Trailers);
}

using System.Buffers;
using System.IO.Pipelines;
using Capgo.Edge.Core;
using Capgo.Edge.Server.Abuse;
using Capgo.Edge.Server.Observability;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;

namespace Capgo.Edge.Server.Updates;

/// <summary>
/// Stands in front of the transcoded <c>POST /updates</c>: enforces the body limit (413), and answers
/// every body the contract rejects with its own error shape and order (update-check.md §1). Valid
/// bodies are answered here too, from this one parse, with the reply bytes the transcoder would write
/// (<see cref="JsonReplies"/>): binding the same body a second time through transcoding and
/// serialising the reply by reflection cost more than the whole check (docs/performance.md).
/// With <c>HttpApi:ServeChecksDirectly=false</c> valid bodies continue to the transcoder instead,
/// from an in-memory copy.
/// </summary>
internal sealed class PluginJsonGuardMiddleware
{
    /// <summary>How far past the limit a refused body is still read (and dropped) so the 413 arrives cleanly.</summary>
    private const int DrainAllowance = 4 * 1024 * 1024;

    private static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(3);

    private const string Transport = EdgeMetrics.Json;
    private const string PayloadTooLarge = "payload_too_large";

    private readonly RequestDelegate _next;
    private readonly int _limit;
    private readonly bool _direct;
    private readonly AbuseGuard _abuse;
    private readonly EdgeMetrics _metrics;
    private readonly CheckEvaluator _evaluator;

    public PluginJsonGuardMiddleware(RequestDelegate next, IOptions<HttpApiOptions> options, AbuseGuard abuse, EdgeMetrics metrics, CheckEvaluator evaluator)
    {
        _next = next;
        _limit = options.Value.MaxRequestBodyBytes;
        _direct = options.Value.ServeChecksDirectly;
        _abuse = abuse;
        _metrics = metrics;
        _evaluator = evaluator;
    }

    public Task InvokeAsync(HttpContext context)
    {
        var request = context.Request;
        if (!HttpMethods.IsPost(request.Method) || !IsUpdatesPath(request.Path))
        {
            return _next(context);
        }

        return GuardAsync(context);
    }

    /// <summary>
    /// Every path routing sends to the transcoded <c>POST /updates</c>: routing ignores case and a
    /// trailing slash, so the guard must too, or <c>/Updates</c> would reach the transcoder unguarded
    /// (no size limit, and its own <c>{"code","message"}</c> errors the plugin cannot read).
    /// </summary>
    internal static bool IsUpdatesPath(PathString path)
    {
        var value = path.Value.AsSpan();
        if (value.Length > 1 && value[^1] == '/')
        {
            value = value[..^1];
        }

        return value.Equals("/updates", StringComparison.OrdinalIgnoreCase);
    }

    private async Task GuardAsync(HttpContext context)
    {
        // Checks the guard answers itself (400, 413, throttled 429) count like the handler's.
        var started = _metrics.StartCheck();
        var request = context.Request;

        // The API's limit, not the server-wide one, decides: HttpApi:MaxRequestBodyBytes may be set
        // above Kestrel's default, and Kestrel must then not refuse bodies the API accepts. Kestrel
        // itself stops reading only past the drain allowance (see DrainAsync).
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } sizeLimit)
        {
            sizeLimit.MaxRequestBodySize = (long)_limit + DrainAllowance;
        }

        if (request.ContentLength > _limit)
        {
            if (request.ContentLength <= (long)_limit + DrainAllowance)
            {
                await DrainAsync(request.BodyReader, context.RequestAborted).ConfigureAwait(false);
            }

            _metrics.CheckRejected(Transport, PayloadTooLarge, started);
            await RefuseUnreadBodyAsync(context, StatusCodes.Status413PayloadTooLarge, ErrorBody.TooLarge(_limit)).ConfigureAwait(false);
            return;
        }

        byte[]? buffer;
        int length;
        try
        {
            (buffer, length) = await Plugin.PluginBody.ReadPooledAsync(request.BodyReader, _limit, context.RequestAborted).ConfigureAwait(false);
        }
        catch (BadHttpRequestException ex)
        {
            // Kestrel refused the body while decoding it: a chunked body that went past the server's
            // own limit between two reads (413), or a malformed chunked encoding. Still the contract's shape.
            var error = ex.StatusCode == StatusCodes.Status413PayloadTooLarge ? ErrorBody.TooLarge(_limit) : RequestError.InvalidJson;
            _metrics.CheckRejected(Transport, error.Code, started);
            await RefuseUnreadBodyAsync(context, ex.StatusCode, error).ConfigureAwait(false);
            return;
        }

        if (buffer is null)
        {
            await DrainAsync(request.BodyReader, context.RequestAborted).ConfigureAwait(false);
            _metrics.CheckRejected(Transport, PayloadTooLarge, started);
            await RefuseUnreadBodyAsync(context, StatusCodes.Status413PayloadTooLarge, ErrorBody.TooLarge(_limit)).ConfigureAwait(false);
            return;
        }

        try
        {
            var status = UpdateRequestJson.Read(buffer.AsSpan(0, length), out var raw);

            // A throttled app is answered before validation (update-check.md §2.1).
            if (status == UpdateRequestJson.ReadStatus.Ok && _abuse.IsThrottled(raw.AppId, out var retryAfter))
            {
                _metrics.CheckRejected(Transport, ErrorBody.TooManyRequestsCode, started);
                await ErrorBody.WriteTooManyRequestsAsync(context, retryAfter).ConfigureAwait(false);
                return;
            }

            var error = Check(status, raw, out var check);
            if (error is not null)
            {
                _metrics.CheckRejected(Transport, error.Code, started);
                await ErrorBody.WriteAsync(context, StatusCodes.Status400BadRequest, error).ConfigureAwait(false);
                return;
            }

            if (_direct)
            {
                await AnswerAsync(context, raw, check, started).ConfigureAwait(false);
                return;
            }

            // The body is valid JSON of the right shape, whatever the client declared.
            request.ContentType = "application/json";
            request.Body = new MemoryStream(buffer, 0, length, writable: false);
            await _next(context).ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>What the transcoded handler would answer over JSON, from the guard's own parse.</summary>
    private ValueTask<FlushResult> AnswerAsync(HttpContext context, in RawUpdateCheck raw, in UpdateCheck check, long started)
    {
        var response = context.Response;
        if (!_evaluator.IsReady(Transport, started))
        {
            return JsonReplies.WriteAsync(response, StatusCodes.Status503ServiceUnavailable, JsonReplies.NotReady);
        }

        var decision = _evaluator.Decide(raw, check, context.Connection.RemoteIpAddress, Transport, started, out var app);
        if (app is not null)
        {
            // Every reply names the generation it was computed from.
            response.Headers[UpdateServiceImpl.GenerationHeader] = app.GenerationText;
        }

        var status = decision.Outcome == Outcome.OnPremiseApp ? StatusCodes.Status429TooManyRequests : StatusCodes.Status200OK;
        return JsonReplies.WriteAsync(response, status, decision, check);
    }

    /// <summary>
    /// Reads and drops the rest of a refused body (up to <see cref="DrainAllowance"/> past the limit,
    /// for at most <see cref="DrainTimeout"/>) before answering. Closing a connection that still has
    /// unread request bytes makes the kernel reset it, and the reset can destroy the 413 before the
    /// client reads it: the client would see a network error instead of the contract's reply.
    /// </summary>
    private static async Task DrainAsync(PipeReader reader, CancellationToken aborted)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(aborted);
        timeout.CancelAfter(DrainTimeout);
        try
        {
            while (true)
            {
                var result = await reader.ReadAsync(timeout.Token).ConfigureAwait(false);
                reader.AdvanceTo(result.Buffer.End);
                if (result.IsCompleted || result.IsCanceled)
                {
                    return;
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Too slow: answer anyway.
        }
        catch (BadHttpRequestException)
        {
            // Past the drain allowance, or a malformed chunked body: answer anyway.
        }
        catch (IOException)
        {
            // The client went away.
        }
    }

    /// <summary>
    /// Answers a request whose body may not have been read to its end (past the drain allowance or
    /// timeout). Over HTTP/1.x Kestrel then closes the connection, so the reply says
    /// <c>Connection: close</c>: otherwise the client reuses a connection that is going away and its
    /// next request fails with a network error.
    /// </summary>
    private static Task RefuseUnreadBodyAsync(HttpContext context, int status, RequestError error)
    {
        if (HttpProtocol.IsHttp11(context.Request.Protocol) || HttpProtocol.IsHttp10(context.Request.Protocol))
        {
            context.Response.Headers.Connection = "close";
        }

        return ErrorBody.WriteAsync(context, status, error);
    }

    /// <summary>The contract's checks, in order: syntax, shape, then the field rules.</summary>
    internal static RequestError? Check(ReadOnlySpan<byte> body, out UpdateCheck check) =>
        Check(UpdateRequestJson.Read(body, out var raw), raw, out check);

    private static RequestError? Check(UpdateRequestJson.ReadStatus status, in RawUpdateCheck raw, out UpdateCheck check)
    {
        check = default;
        switch (status)
        {
            case UpdateRequestJson.ReadStatus.NotJson:
                return RequestError.InvalidJson;
            case UpdateRequestJson.ReadStatus.NotAnObject:
                return ErrorBody.NotAnObject;
        }

        return RequestValidator.Validate(raw, out check);
    }
}

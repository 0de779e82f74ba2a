using System.Buffers;
using System.IO.Pipelines;
using Capgo.Edge.Core;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;

namespace Capgo.Edge.Server.Plugin;

/// <summary>
/// Reads the body of every plugin endpoint under <c>HttpApi:MaxRequestBodyBytes</c>. A body over the
/// limit is answered 413 in the contract's shape at any configured limit, after its rest is drained
/// so the client reads the reply instead of a reset connection.
/// </summary>
internal sealed class PluginBodyReader
{
    /// <summary>How far past the limit a refused body is still read (and dropped) so the 413 arrives cleanly.</summary>
    private const int DrainAllowance = 4 * 1024 * 1024;

    private static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(3);

    private readonly int _limit;
    private readonly RequestError _tooLarge;

    public PluginBodyReader(IOptions<HttpApiOptions> options)
    {
        _limit = options.Value.MaxRequestBodyBytes;
        _tooLarge = PluginReplies.TooLarge(_limit);
    }

    /// <summary>The whole body, or a refusal already answered (413, or 400 for a malformed chunked body).</summary>
    public async ValueTask<PluginBody> ReadAsync(HttpContext context)
    {
        var request = context.Request;

        // The API's limit decides, not Kestrel's: HttpApi:MaxRequestBodyBytes may be set above the
        // server-wide default. Kestrel itself stops reading only past the drain allowance.
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

            return await RefuseAsync(context, StatusCodes.Status413PayloadTooLarge, _tooLarge).ConfigureAwait(false);
        }

        byte[]? buffer;
        int length;
        try
        {
            (buffer, length) = await ReadPooledAsync(request.BodyReader, _limit, context.RequestAborted).ConfigureAwait(false);
        }
        catch (BadHttpRequestException ex)
        {
            // Kestrel refused the body while decoding it: a chunked body past the server's own limit
            // between two reads (413), or a malformed chunked encoding. Still the contract's shape.
            var error = ex.StatusCode == StatusCodes.Status413PayloadTooLarge ? _tooLarge : RequestError.InvalidJson;
            return await RefuseAsync(context, ex.StatusCode, error).ConfigureAwait(false);
        }

        if (buffer is null)
        {
            await DrainAsync(request.BodyReader, context.RequestAborted).ConfigureAwait(false);
            return await RefuseAsync(context, StatusCodes.Status413PayloadTooLarge, _tooLarge).ConfigureAwait(false);
        }

        return new PluginBody(buffer, length);
    }

    /// <summary>
    /// Reads the whole body into an array rented from the shared pool, or returns null when it
    /// exceeds the limit.
    /// </summary>
    private static async ValueTask<(byte[]? Buffer, int Length)> ReadPooledAsync(PipeReader reader, int limit, CancellationToken cancellationToken)
    {
        while (true)
        {
            var result = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            var data = result.Buffer;
            if (data.Length > limit)
            {
                reader.AdvanceTo(data.End);
                return (null, 0);
            }

            if (result.IsCanceled && !result.IsCompleted)
            {
                // Kestrel cancels pending reads to wake connections at shutdown; the body is still
                // arriving, so keep reading rather than take what came so far for the whole body.
                reader.AdvanceTo(data.Start, data.End);
                continue;
            }

            if (result.IsCompleted)
            {
                var length = (int)data.Length;
                var buffer = ArrayPool<byte>.Shared.Rent(Math.Max(length, 1));
                data.CopyTo(buffer);
                reader.AdvanceTo(data.End);
                return (buffer, length);
            }

            reader.AdvanceTo(data.Start, data.End);
        }
    }

    /// <summary>
    /// Reads and drops the rest of a refused body (up to <see cref="DrainAllowance"/> past the limit,
    /// for at most <see cref="DrainTimeout"/>). Closing a connection that still has unread request
    /// bytes makes the kernel reset it, and the reset can destroy the 413 before the client reads it.
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
    /// Answers a request whose body may not have been read to its end. Over HTTP/1.x Kestrel then
    /// closes the connection, so the reply says <c>Connection: close</c>: otherwise the client reuses
    /// a connection that is going away and its next request fails with a network error.
    /// </summary>
    private static async ValueTask<PluginBody> RefuseAsync(HttpContext context, int status, RequestError error)
    {
        if (HttpProtocol.IsHttp11(context.Request.Protocol) || HttpProtocol.IsHttp10(context.Request.Protocol))
        {
            context.Response.Headers.Connection = "close";
        }

        await PluginReplies.ErrorAsync(context, status, error).ConfigureAwait(false);
        return new PluginBody(error);
    }
}

using System.Buffers;
using System.IO.Pipelines;
using Capgo.Edge.Server.Updates;

namespace Capgo.Edge.Server.Plugin;

/// <summary>Reads a whole plugin body under the API's size limit.</summary>
internal static class PluginBody
{
    /// <summary>Reads a body into a copy, answering 413 itself when over the limit (then null).</summary>
    public static async Task<ReadOnlyMemory<byte>?> ReadAsync(HttpContext context, int limit)
    {
        if (context.Request.ContentLength > limit)
        {
            await ErrorBody.WriteAsync(context, StatusCodes.Status413PayloadTooLarge, ErrorBody.TooLarge(limit)).ConfigureAwait(false);
            return null;
        }

        var (buffer, length) = await ReadPooledAsync(context.Request.BodyReader, limit, context.RequestAborted).ConfigureAwait(false);
        if (buffer is null)
        {
            await ErrorBody.WriteAsync(context, StatusCodes.Status413PayloadTooLarge, ErrorBody.TooLarge(limit)).ConfigureAwait(false);
            return null;
        }

        try
        {
            return buffer.AsSpan(0, length).ToArray();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// Reads the whole body into an array rented from the shared pool (the caller returns it), or
    /// returns null when the body exceeds the limit.
    /// </summary>
    public static async Task<(byte[]? Buffer, int Length)> ReadPooledAsync(PipeReader reader, int limit, CancellationToken cancellationToken)
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
}

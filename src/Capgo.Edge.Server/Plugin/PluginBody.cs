using System.Buffers;
using Capgo.Edge.Server.Updates;

namespace Capgo.Edge.Server.Plugin;

/// <summary>Reads a whole plugin body under the API's size limit, answering 413 itself when over.</summary>
internal static class PluginBody
{
    public static async Task<ReadOnlyMemory<byte>?> ReadAsync(HttpContext context, int limit)
    {
        if (context.Request.ContentLength > limit)
        {
            await ErrorBody.WriteAsync(context, StatusCodes.Status413PayloadTooLarge, ErrorBody.TooLarge(limit)).ConfigureAwait(false);
            return null;
        }

        using var buffer = new MemoryStream();
        var chunk = ArrayPool<byte>.Shared.Rent(16 * 1024);
        try
        {
            int read;
            while ((read = await context.Request.Body.ReadAsync(chunk, context.RequestAborted).ConfigureAwait(false)) > 0)
            {
                if (buffer.Length + read > limit)
                {
                    await ErrorBody.WriteAsync(context, StatusCodes.Status413PayloadTooLarge, ErrorBody.TooLarge(limit)).ConfigureAwait(false);
                    return null;
                }

                buffer.Write(chunk, 0, read);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }

        return new ReadOnlyMemory<byte>(buffer.GetBuffer(), 0, (int)buffer.Length);
    }
}

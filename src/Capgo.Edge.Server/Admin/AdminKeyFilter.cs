using System.Security.Cryptography;
using System.Text;
using Capgo.Edge.Server.Plugin;
using Microsoft.Extensions.Options;

namespace Capgo.Edge.Server.Admin;

/// <summary>
/// Every admin route asks for <c>x-api-key</c>: 401 in the plugin's error shape without it or with
/// another value. The comparison takes the same time whatever the presented value.
/// </summary>
internal sealed class AdminKeyFilter(IOptions<AdminOptions> options) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        if (KeyMatches(http.Request.Headers[AdminOptions.ApiKeyHeader].ToString(), options.Value.ApiKey!))
        {
            return await next(context).ConfigureAwait(false);
        }

        await PluginReplies.JsonAsync(
            http,
            StatusCodes.Status401Unauthorized,
            new ErrorReply("unauthorized", $"A valid {AdminOptions.ApiKeyHeader} header is required"),
            ExplainJson.Web.ErrorReply).ConfigureAwait(false);
        return Results.Empty;
    }

    private static bool KeyMatches(string presented, string expected) =>
        CryptographicOperations.FixedTimeEquals(
            SHA256.HashData(Encoding.UTF8.GetBytes(presented)),
            SHA256.HashData(Encoding.UTF8.GetBytes(expected)));
}

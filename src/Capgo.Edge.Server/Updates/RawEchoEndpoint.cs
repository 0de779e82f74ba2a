using Capgo.Edge.Server.Plugin;
using Microsoft.Extensions.Options;

namespace Capgo.Edge.Server.Updates;

/// <summary>
/// <c>POST /echo/raw</c>: the HTTP transport's own ceiling for the load tests. It reads the body with
/// the plugin endpoints' reader and writes the same bytes back as JSON — no parsing, no transcoding —
/// so the JSON check measured against it shows the check's whole cost above the transport. Off with
/// <c>Echo:Enabled=false</c>, like the <c>Echo</c> RPC.
/// </summary>
internal sealed class RawEchoEndpoint
{
    public const string Route = "/echo/raw";

    private readonly PluginBodyReader _bodies;
    private readonly bool _enabled;

    public RawEchoEndpoint(PluginBodyReader bodies, IOptions<EchoOptions> echo)
    {
        _bodies = bodies;
        _enabled = echo.Value.Enabled;
    }

    public async Task HandleAsync(HttpContext context)
    {
        if (!_enabled)
        {
            // As the transcoded Echo answers when turned off (UNIMPLEMENTED).
            context.Response.StatusCode = StatusCodes.Status501NotImplemented;
            return;
        }

        using var body = await _bodies.ReadAsync(context).ConfigureAwait(false);
        if (body.Refusal is null)
        {
            await PluginReplies.CopyAsync(context.Response, StatusCodes.Status200OK, body.Span).ConfigureAwait(false);
        }
    }
}

using Microsoft.AspNetCore.Routing.Matching;

namespace Capgo.Edge.Server.Admin;

/// <summary>
/// Routing's port restriction on the socket's own port. <c>RequireHost("*:port")</c> matches the Host
/// header, which any client writes (<c>Host: x:9090</c> sent to the public port would pass it); this
/// policy matches <see cref="ConnectionInfo.LocalPort"/> instead, as ASP.NET Core's documentation on
/// host spoofing advises. An endpoint restricted here is no route at all on another port: 404.
/// </summary>
internal sealed class LocalPortMatcherPolicy : MatcherPolicy, IEndpointSelectorPolicy
{
    /// <summary>Beside routing's host policy (-100), after the HTTP method policy.</summary>
    public override int Order => -100;

    /// <summary>Only the routes restricted to a port pay for the check; <c>/updates</c> never meets it.</summary>
    public bool AppliesToEndpoints(IReadOnlyList<Endpoint> endpoints)
    {
        foreach (var endpoint in endpoints)
        {
            if (endpoint.Metadata.GetMetadata<LocalPortMetadata>() is not null)
            {
                return true;
            }
        }

        return false;
    }

    public Task ApplyAsync(HttpContext httpContext, CandidateSet candidates)
    {
        var port = httpContext.Connection.LocalPort;
        for (var i = 0; i < candidates.Count; i++)
        {
            if (candidates.IsValidCandidate(i) &&
                candidates[i].Endpoint.Metadata.GetMetadata<LocalPortMetadata>() is { } required &&
                required.Port != port)
            {
                candidates.SetValidity(i, false);
            }
        }

        return Task.CompletedTask;
    }
}

/// <summary>The one port an endpoint answers on (<see cref="LocalPortMatcherPolicy"/>).</summary>
internal sealed record LocalPortMetadata(int Port);

internal static class LocalPortExtensions
{
    /// <summary>Serves these endpoints on connections accepted on <paramref name="port"/> only.</summary>
    public static TBuilder RequireLocalPort<TBuilder>(this TBuilder builder, int port)
        where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new LocalPortMetadata(port));
}

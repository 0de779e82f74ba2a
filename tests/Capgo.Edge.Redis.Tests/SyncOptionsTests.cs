using Capgo.Edge.Tests.Support;
using Microsoft.Extensions.Options;

namespace Capgo.Edge.Redis.Tests;

/// <summary><c>Sync</c> is validated at start in every mode: the prefix and name serve events and overrides too.</summary>
public sealed class SyncOptionsTests
{
    [Fact]
    public async Task A_standalone_edge_refuses_to_start_with_invalid_sync_options()
    {
        var app = TestEdge.Build("--Sync:ReconcileInterval=00:00:00.001");
        try
        {
            var refused = await Assert.ThrowsAsync<OptionsValidationException>(() => app.StartAsync());
            Assert.Contains("ReconcileInterval", refused.Message, StringComparison.Ordinal);
        }
        finally
        {
            await app.DisposeAsync();
        }
    }

    [Fact]
    public void A_configured_name_is_the_edge_s_name_and_without_one_each_process_names_itself_once()
    {
        Assert.Equal("edge-7", new EdgeIdentity("edge-7").Name);
        var generated = new EdgeIdentity(name: null);
        Assert.Matches($"^{System.Text.RegularExpressions.Regex.Escape(Environment.MachineName)}-{Environment.ProcessId}-[0-9a-f]{{6}}$", generated.Name);
        Assert.Equal(generated.Name, generated.Name);
    }

    [Fact]
    public void Every_identity_draws_its_own_instance_id_also_under_one_configured_name()
    {
        var first = new EdgeIdentity("edge-7");
        var second = new EdgeIdentity("edge-7");
        Assert.Matches("^[0-9a-f]{12}$", first.Instance);
        Assert.Equal(first.Instance, first.Instance);
        Assert.NotEqual(first.Instance, second.Instance);
    }
}

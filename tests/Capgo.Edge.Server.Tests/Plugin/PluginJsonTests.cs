using System.Text.Json;
using Capgo.Edge.Server.Plugin;

namespace Capgo.Edge.Server.Tests.Plugin;

/// <summary>Each plugin endpoint keeps the escaping its replies have always had (PluginJson's two instances).</summary>
public sealed class PluginJsonTests
{
    private const string Awkward = "doesn't a<b & c+d é 日本";

    [Fact]
    public void Stats_replies_escape_as_utf8_json_writer_does_by_default()
    {
        var result = new StatsEventResult("error", "semver_error", Awkward, 1);
        var json = JsonSerializer.Serialize(new StatsBatchReply("ok", [result]), PluginJson.Default.StatsBatchReply);

        Assert.Equal(
            """{"status":"ok","results":[{"status":"error","error":"semver_error","message":"doesn\u0027t a\u003Cb \u0026 c\u002Bd \u00E9 \u65E5\u672C","index":1}]}""",
            json);
    }

    [Fact]
    public void Channel_self_replies_escape_as_asp_net_core_writes_them()
    {
        var json = JsonSerializer.Serialize(new ChannelReply(Awkward, "override", true), PluginJson.Relaxed.ChannelReply);

        Assert.Equal("""{"channel":"doesn't a<b & c+d é 日本","status":"override","allowSet":true}""", json);
    }

    [Fact]
    public void Absent_values_are_left_out_in_both()
    {
        Assert.Equal("""{"status":"ok","allowSet":true}""", JsonSerializer.Serialize(new ChannelReply(null, "ok", true), PluginJson.Relaxed.ChannelReply));
        Assert.Equal("""{"status":"ok","index":0}""", JsonSerializer.Serialize(new StatsEventResult("ok", null, null, 0), PluginJson.Default.StatsEventResult));
    }
}

using Capgo.Edge.Core;
using Capgo.Edge.Server.Updates;

namespace Capgo.Edge.Server.Tests;

/// <summary>The HTTP reader takes repeating strings from the same table and still decodes everything else.</summary>
public sealed class UpdateRequestJsonStringTests
{
    private static RawUpdateCheck ReadOk(string json)
    {
        Assert.Equal(UpdateRequestJson.ReadStatus.Ok, UpdateRequestJson.Read(System.Text.Encoding.UTF8.GetBytes(json), out var raw));
        return raw;
    }

    [Fact]
    public void Repeating_fields_share_one_string_and_device_ids_do_not()
    {
        const string Body = """{"app_id":"com.json.reuse","device_id":"9a0e4b47-0a4f-4f4e-9c3a-0d7c61a7e111","version_name":"2.0.0","platform":"ios","custom_id":"c"}""";
        var first = ReadOk(Body);
        var second = ReadOk(Body);
        Assert.Equal("com.json.reuse", first.AppId);
        Assert.Same(first.AppId, second.AppId);
        Assert.Same(first.VersionName, second.VersionName);
        Assert.Same(first.Platform, second.Platform);
        Assert.Equal(first.DeviceId, second.DeviceId);
        Assert.NotSame(first.DeviceId, second.DeviceId);
        Assert.NotSame(first.CustomId, second.CustomId);
    }

    [Fact]
    public void Escaped_and_non_ascii_values_are_decoded()
    {
        var raw = ReadOk("""{"app_id":"com.ex\u0061mple.app","version_name":"1.0.0-β","version_os":"a\"b"}""");
        Assert.Equal("com.example.app", raw.AppId);
        Assert.Equal("1.0.0-β", raw.VersionName);
        Assert.Equal("a\"b", raw.VersionOs);
    }

    [Fact]
    public void Invalid_utf8_in_a_repeating_field_is_still_not_json()
    {
        byte[] body = [.. "{\"platform\":\"a"u8, 0xC3, 0x28, .. "\"}"u8];
        Assert.Equal(UpdateRequestJson.ReadStatus.NotJson, UpdateRequestJson.Read(body, out _));
    }
}

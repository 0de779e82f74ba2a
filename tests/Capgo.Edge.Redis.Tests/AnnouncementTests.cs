namespace Capgo.Edge.Redis.Tests;

/// <summary>The announcement format of docs/redis-layout.md, as edges read it.</summary>
public sealed class AnnouncementTests
{
    [Fact]
    public void An_override_announcement_carries_its_device_and_channel()
    {
        var a = Announcement.TryParse("""{"type":"override","app_id":"com.demo.app","generation":42,"device_id":"00009a6b-eefe-490a-9c60-8e965132ae51","channel":"beta"}"""u8);
        Assert.Equal(new Announcement(Announcement.OverrideType, "com.demo.app", 42, "00009a6b-eefe-490a-9c60-8e965132ae51", "beta"), a);
    }

    [Fact]
    public void A_removed_pin_is_announced_with_a_null_channel_and_unknown_fields_are_skipped()
    {
        var a = Announcement.TryParse("""{"type":"override","app_id":"a.b","generation":7,"device_id":"d","channel":null,"extra":{"x":[1]}}"""u8);
        Assert.NotNull(a);
        Assert.Null(a.Channel);
        Assert.Equal(7, a.Generation);
    }

    [Fact]
    public void An_announcement_names_the_change_counter_it_follows_and_an_older_one_names_none()
    {
        Assert.Equal(41, Announcement.TryParse("""{"type":"app","app_id":"a.b","generation":42,"follows":41}"""u8)!.Follows);
        Assert.Null(Announcement.TryParse("""{"type":"app","app_id":"a.b","generation":42}"""u8)!.Follows);
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("[1,2]")]
    [InlineData("""{"app_id":"a.b","generation":1}""")]
    [InlineData("""{"type":"app","generation":"soon"}""")]
    public void Malformed_announcements_are_ignored(string json) =>
        Assert.Null(Announcement.TryParse(System.Text.Encoding.UTF8.GetBytes(json)));
}

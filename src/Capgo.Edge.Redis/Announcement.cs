using System.Text.Json;

namespace Capgo.Edge.Redis;

/// <summary>
/// One announcement on the changes channel:
/// <c>{"type":"app","app_id":"…","generation":N}</c>,
/// <c>{"type":"override","app_id":"…","generation":N,"previous":M,"device_id":"…","channel":"…"|null}</c>,
/// <c>{"type":"delete","app_id":"…","generation":N}</c>.
/// An override announcement names the overrides generation it follows (<c>previous</c>): an edge holding
/// exactly that applies the change in place; any other means it missed one and reloads the overrides.
/// Every announcement also names the fleet-wide change counter it follows (<c>follows</c>, absent from
/// older publishers): see <see cref="ChangeCounter"/>.
/// </summary>
public sealed record Announcement(string Type, string AppId, long Generation, string? DeviceId = null, string? Channel = null, long? Previous = null, long? Follows = null)
{
    public const string AppType = "app";
    public const string OverrideType = "override";
    public const string DeleteType = "delete";

    public static Announcement? TryParse(ReadOnlySpan<byte> json)
    {
        try
        {
            var reader = new Utf8JsonReader(json);
            string? type = null, appId = null, deviceId = null, channel = null;
            long generation = 0;
            long? previous = null, follows = null;
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return null;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var name = reader.GetString();
                reader.Read();
                switch (name)
                {
                    case "type": type = reader.GetString(); break;
                    case "app_id": appId = reader.GetString(); break;
                    case "generation": generation = reader.GetInt64(); break;
                    case "previous": previous = reader.GetInt64(); break;
                    case "follows": follows = reader.GetInt64(); break;
                    case "device_id": deviceId = reader.TokenType == JsonTokenType.Null ? null : reader.GetString(); break;
                    case "channel": channel = reader.TokenType == JsonTokenType.Null ? null : reader.GetString(); break;
                    default: reader.Skip(); break;
                }
            }

            return type is null || appId is null ? null : new Announcement(type, appId, generation, deviceId, channel, previous, follows);
        }
        catch (JsonException)
        {
            return null;
        }
        catch (InvalidOperationException)
        {
            return null;
        }
    }
}

using System.Text.Json;

namespace Capgo.Edge.Server.Tests.Fuzz;

/// <summary>
/// 5xx replies already reported and awaiting a fix in <c>src/</c> (docs/reliability.md, "Known issues").
/// Each is matched exactly, so any other 5xx still fails the fuzz test.
/// </summary>
internal static class KnownIssues
{
    /// <summary>
    /// KI-1: <c>/channel_self</c> whose first top-level <c>channel</c> is a string the reader cannot
    /// return as UTF-16 (a lone surrogate escape such as <c>"\ud800"</c>): ChannelSelfEndpoints.ReadChannel
    /// calls Utf8JsonReader.GetString, which throws InvalidOperationException → 500.
    /// </summary>
    public static bool Matches(string path, byte[] body) => path == "/channel_self" && ChannelIsUnreadable(body);

    private static bool ChannelIsUnreadable(byte[] body)
    {
        try
        {
            var reader = new Utf8JsonReader(body);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isChannel = reader.ValueTextEquals("channel"u8);
                reader.Read();
                if (isChannel && reader.TokenType == JsonTokenType.String)
                {
                    try
                    {
                        _ = reader.GetString();
                        return false;
                    }
                    catch (InvalidOperationException)
                    {
                        return true;
                    }
                }

                reader.Skip();
            }
        }
        catch (JsonException)
        {
        }

        return false;
    }
}

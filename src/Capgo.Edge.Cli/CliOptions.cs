using System.CommandLine;
using System.CommandLine.Parsing;

namespace Capgo.Edge.Cli;

/// <summary>
/// The options several commands share. <c>--redis</c>, <c>--prefix</c> and <c>--dir</c> go on the root and reach
/// every command; <c>--wait</c> and <c>--timeout</c> go on the commands that change something.
/// </summary>
internal sealed class CliOptions
{
    public const string RedisVariable = "CAPGO_EDGE_REDIS";

    // No default value factory: help would print the environment's connection string, password included.
    public Option<string> Redis { get; } = new("--redis")
    {
        Description = $"StackExchange.Redis connection string (default: ${RedisVariable})",
        HelpName = "CONN",
        Recursive = true,
    };

    public Option<string> Prefix { get; } = new("--prefix")
    {
        Description = "key prefix (default: capgo:edge:)",
        HelpName = "P",
        Recursive = true,
    };

    public Option<int> EventShards { get; } = new("--event-shards")
    {
        Description = "the event shards the edges write (their Events:Shards; default 1): stats and device lookups read them all",
        HelpName = "N",
        Recursive = true,
        DefaultValueFactory = static _ => 1,
    };

    public Option<string> Dir { get; } = new("--dir")
    {
        Description = "a projection folder a standalone edge reads, instead of Redis (release commands, publish and show)",
        HelpName = "DIR",
        Recursive = true,
    };

    public const string ApiKeyVariable = "CAPGO_EDGE_API_KEY";

    public Option<string> Api { get; } = new("--api")
    {
        Description = "the control-plane service's URL: release through its API with an app key, instead of Redis",
        HelpName = "URL",
        Recursive = true,
    };

    // No default value factory: help would print the key.
    public Option<string> ApiKey { get; } = new("--api-key")
    {
        Description = $"the app's release-API key (default: ${ApiKeyVariable})",
        HelpName = "KEY",
        Recursive = true,
    };

    public Option<bool> Wait { get; } = new("--wait")
    {
        Description = "return once every live edge serves the change, else fail naming the laggards (exit 3)",
    };

    public Option<TimeSpan> Timeout { get; } = new("--timeout")
    {
        Description = "how long --wait waits (seconds, or 500ms/10s; default 10s)",
        HelpName = "T",
        CustomParser = ParseDuration,
    };

    /// <summary>How long <c>--wait</c> waits when <c>--timeout</c> is not given.</summary>
    /// <remarks>Not a default value factory: help would print it as <c>00:00:10</c> next to the description's 10s.</remarks>
    public static TimeSpan DefaultTimeout { get; } = TimeSpan.FromSeconds(10);

    /// <summary>A new <c>--app</c>: each command holds its own, required, instance.</summary>
    public static Option<string> App() => new("--app") { Description = "the app id (required)", HelpName = "A" };

    /// <summary>
    /// Refuses the command when one of <paramref name="options"/> is missing, with a message naming
    /// the option and the command (scripts and tests read it).
    /// </summary>
    public static void Require(Command command, string path, params Option[] options) =>
        command.Validators.Add(result =>
        {
            foreach (var option in options)
            {
                if (!Given(result, option))
                {
                    result.AddError($"{option.Name} is required for '{path}'");
                }
            }
        });

    /// <summary>
    /// The option was on the command line. A bool option has a result even when absent (implicit, with
    /// its default), so "is there a result" is not the question.
    /// </summary>
    public static bool Given(ParseResult parsed, Option option) => parsed.GetResult(option) is { Implicit: false };

    /// <inheritdoc cref="Given(ParseResult, Option)"/>
    public static bool Given(SymbolResult result, Option option) => result.GetResult(option) is { Implicit: false };

    private static TimeSpan ParseDuration(ArgumentResult result)
    {
        try
        {
            return Durations.Parse(result.Tokens.Count > 0 ? result.Tokens[^1].Value : "");
        }
        catch (FormatException ex)
        {
            result.AddError($"--timeout: {ex.Message}");
            return default;
        }
    }
}

using System.Globalization;

namespace Capgo.Edge.Cli;

/// <summary>The command line as <c>capgo-edge</c> reads it: command, positional arguments, options, durations.</summary>
internal static class CliArguments
{
    public const string Help = """
        capgo-edge — publish Capgo Edge projections into Redis

          capgo-edge publish FILE... [--wait] [--timeout 10s]
          capgo-edge override set --app A --device D --channel C [--wait]
          capgo-edge override remove --app A --device D [--wait]
          capgo-edge inspect --app A
          capgo-edge delete --app A
          capgo-edge edges

        Common options:
          --redis CONN     StackExchange.Redis connection string (default: $CAPGO_EDGE_REDIS)
          --prefix P       key prefix (default: capgo:edge:)
          --wait           return once every live edge serves the change, else fail naming the laggards
          --timeout T      how long --wait waits (seconds, or 500ms/10s; default 10s)

        Exit codes: 0 done, 1 usage, 2 refused (nothing written), 3 edges lagging, 4 Redis unreachable.
        """;

    internal static TimeSpan ParseDuration(string text)
    {
        if (text.EndsWith("ms", StringComparison.Ordinal) && double.TryParse(text[..^2], NumberStyles.Float, CultureInfo.InvariantCulture, out var ms))
        {
            return TimeSpan.FromMilliseconds(ms);
        }

        var trimmed = text.EndsWith('s') ? text[..^1] : text;
        return double.TryParse(trimmed, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) && seconds > 0
            ? TimeSpan.FromSeconds(seconds)
            : throw new FormatException($"'{text}' is not a duration (e.g. 500ms, 10s)");
    }
}

/// <summary>Command, positional arguments, <c>--name value</c> options and bare flags.</summary>
internal sealed class Options
{
    private static readonly HashSet<string> FlagNames = ["wait", "help"];
    private readonly Dictionary<string, string> _values = new(StringComparer.Ordinal);

    public string? Command { get; private set; }
    public List<string> Positional { get; } = [];
    public HashSet<string> Flags { get; } = [];

    public string? Get(string name) => _values.TryGetValue(name, out var value) ? value : null;

    public string Require(string name) => Get(name) ?? throw new FormatException($"--{name} is required for '{Command}'");

    public static Options Parse(string[] args)
    {
        var options = new Options();
        for (var i = 0; i < args.Length; i++)
        {
            var arg = args[i];
            if (arg.StartsWith("--", StringComparison.Ordinal))
            {
                var name = arg[2..];
                var eq = name.IndexOf('=', StringComparison.Ordinal);
                if (eq >= 0)
                {
                    options._values[name[..eq]] = name[(eq + 1)..];
                }
                else if (FlagNames.Contains(name))
                {
                    options.Flags.Add(name);
                }
                else if (i + 1 < args.Length)
                {
                    options._values[name] = args[++i];
                }
                else
                {
                    throw new FormatException($"--{name} needs a value");
                }
            }
            else if (arg is "-h")
            {
                options.Flags.Add("help");
            }
            else if (options.Command is null)
            {
                options.Command = arg;
            }
            else
            {
                options.Positional.Add(arg);
            }
        }

        return options;
    }
}

using System.Globalization;

namespace Capgo.Edge.Cli;

/// <summary>The command line as <c>capgo-edge</c> reads it: command, positional arguments, options, durations.</summary>
internal static class CliArguments
{
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

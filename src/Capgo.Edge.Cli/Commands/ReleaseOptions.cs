using System.CommandLine;
using Capgo.Edge.ControlPlane;
using Capgo.Edge.ControlPlane.Releases;

namespace Capgo.Edge.Cli.Commands;

/// <summary>
/// The options the release commands share. One instance per command line, so every command that takes
/// an option holds the same <see cref="Option"/> and help describes it once, the same way.
/// </summary>
internal sealed class ReleaseOptions
{
    public Option<bool> Json { get; } = new("--json")
    {
        Description = "machine-readable output: one JSON value on standard output",
    };

    public Option<bool> DryRun { get; } = new("--dry-run")
    {
        Description = "apply the change to a copy of the stored document, print what it changes, write nothing",
    };

    public Option<long> IfGeneration { get; } = new("--if-generation")
    {
        Description = "refuse (exit 2, nothing written) unless the app is at generation G",
        HelpName = "G",
    };

    public Option<string> Actor { get; } = new("--actor")
    {
        Description = "who makes the change, for the history (default: $CAPGO_EDGE_ACTOR, else user@host)",
        HelpName = "NAME",
    };

    /// <summary><c>--if-generation</c>, or null when it is not given (0 is a generation a script may expect).</summary>
    public long? IfGenerationOf(ParseResult parsed) => !CliOptions.Given(parsed, IfGeneration) ? null : parsed.GetValue(IfGeneration);

    public string ActorOf(ParseResult parsed) => parsed.GetValue(Actor) is { Length: > 0 } actor ? actor : ChangeContext.DefaultActor;

    /// <summary>A new required <c>--channel</c>.</summary>
    public static Option<string> Channel() => new("--channel") { Description = "the channel (required)", HelpName = "C" };

    /// <summary>
    /// A new <c>--percent</c>, in basis points: a decimal share with at most two decimals (<c>12.5</c> is 1250 bps);
    /// anything else is a usage error.
    /// </summary>
    public static Option<int> Percent() => Percent("--percent", "the share of devices, 0–100 with at most two decimals (e.g. 12.5) (required)");

    /// <summary>A new percentage option named <paramref name="name"/>, in basis points, as <see cref="Percent()"/>.</summary>
    public static Option<int> Percent(string name, string description) => new(name)
    {
        Description = description,
        HelpName = "P",
        CustomParser = result =>
        {
            var text = result.Tokens.Count > 0 ? result.Tokens[^1].Value : "";
            if (RolloutEdits.ParsePercent(text) is { } bps)
            {
                return bps;
            }

            result.AddError($"{name}: '{text}' is not a percentage from 0 to 100 with at most two decimals");
            return default;
        },
    };

    /// <summary>A new <c>on|off</c> option: null when not given.</summary>
    public static Option<string> OnOff(string name, string description) => OneOf(name, description, "on", "off");

    /// <summary>A new option whose value is one of <paramref name="values"/>; another is a usage error naming the option.</summary>
    public static Option<string> OneOf(string name, string description, params string[] values)
    {
        var option = new Option<string>(name) { Description = description, HelpName = string.Join('|', values) };
        option.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<string>() is { } value && !values.Contains(value, StringComparer.Ordinal))
            {
                result.AddError($"{name}: '{value}' is not one of {string.Join(", ", values)}");
            }
        });
        return option;
    }

    public static bool? OnOffOf(ParseResult parsed, Option<string> option) => parsed.GetValue(option) switch
    {
        "on" => true,
        "off" => false,
        _ => null,
    };
}

/// <summary>The release side of the publisher library on one store: Redis, or a projection folder (<c>--dir</c>).</summary>
internal sealed record ReleaseStore(AppStore Store, AppChanges Changes, ChannelHistory History, ReleaseOperations Operations)
{
    public static ReleaseStore Create(AppStore store)
    {
        var changes = new AppChanges(store);
        var history = new ChannelHistory(store);
        return new ReleaseStore(store, changes, history, new ReleaseOperations(changes, history));
    }
}

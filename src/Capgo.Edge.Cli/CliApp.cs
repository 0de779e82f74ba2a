using System.CommandLine;
using System.CommandLine.Invocation;
using System.CommandLine.Parsing;
using Capgo.Edge.Cli.Commands;
using Capgo.Edge.Redis;
using StackExchange.Redis;

namespace Capgo.Edge.Cli;

/// <summary>
/// <c>capgo-edge</c>: publishes projections for CI/CD and operators. The Redis connection string
/// comes from <c>--redis</c> or, to keep passwords out of shell history, <c>CAPGO_EDGE_REDIS</c>.
/// </summary>
internal static class CliApp
{
    private const string Name = "capgo-edge";

    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, bool interactive = false)
    {
        var context = new CliContext(output, error, interactive);
        var root = CreateRoot(context);
        var parsed = root.Parse(args);
        var invocation = new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false };
        if (parsed.Action is ParseErrorAction)
        {
            return await ReportUsageAsync(context, root, parsed, invocation).ConfigureAwait(false);
        }

        try
        {
            return await parsed.InvokeAsync(invocation).ConfigureAwait(false);
        }
        catch (FormatException ex)
        {
            await context.FailAsync(ex.Message).ConfigureAwait(false);
            return ExitCodes.Usage;
        }
        catch (PublishException ex)
        {
            await context.FailAsync($"refused: {ex.Message}").ConfigureAwait(false);
            return ExitCodes.Refused;
        }
        catch (UnauthorizedAccessException ex)
        {
            await context.FailAsync($"refused: {ex.Message}").ConfigureAwait(false);
            return ExitCodes.Refused;
        }
        catch (HttpRequestException ex)
        {
            await context.FailAsync($"release API unreachable: {ex.Message}").ConfigureAwait(false);
            return ExitCodes.Unreachable;
        }
        catch (RedisConnectionException ex)
        {
            await context.FailAsync($"Redis unreachable: {ex.Message}").ConfigureAwait(false);
            return ExitCodes.Unreachable;
        }
    }

    private static RootCommand CreateRoot(CliContext context)
    {
        var root = new RootCommand($"{Name} — publish Capgo Edge projections into Redis\n\n{ExitCodes.Summary}")
        {
            HelpName = Name,
        };
        root.Options.Add(context.Options.Redis);
        root.Options.Add(context.Options.Prefix);
        root.Options.Add(context.Options.EventShards);
        root.Options.Add(context.Options.Dir);
        root.Options.Add(context.Options.Api);
        root.Options.Add(context.Options.ApiKey);
        root.Subcommands.Add(PublishCommand.Create(context));
        root.Subcommands.Add(OverrideCommand.Create(context));
        root.Subcommands.Add(InspectCommand.Create(context));
        root.Subcommands.Add(ShowCommand.Create(context));
        root.Subcommands.Add(DeleteCommand.Create(context));
        root.Subcommands.Add(EdgesCommand.Create(context));
        root.Subcommands.Add(BundleCommand.Create(context));
        root.Subcommands.Add(ChannelCommand.Create(context));
        root.Subcommands.Add(RolloutCommand.Create(context));
        root.Subcommands.Add(RollbackCommand.Create(context));
        root.Subcommands.Add(HistoryCommand.Create(context));
        root.Subcommands.Add(StatsCommand.Create(context));
        root.Subcommands.Add(DevicesCommand.Create(context));
        root.Subcommands.Add(KeyCommand.Create(context));

        // `capgo-edge help` belongs to the stable interface; --help is the one the command list shows.
        var help = new Command("help", "show this help") { Hidden = true };
        help.SetAction(parsed => root.Parse(["--help"]).Invoke(parsed.InvocationConfiguration));
        root.Subcommands.Add(help);
        return root;
    }

    /// <summary>
    /// A parse error (unknown option, missing value, bad duration, missing option): one line each
    /// and a pointer to the command's help; no command at all prints the full help.
    /// </summary>
    private static async Task<int> ReportUsageAsync(CliContext context, RootCommand root, ParseResult parsed, InvocationConfiguration invocation)
    {
        if (parsed.UnmatchedTokens.Count == 0 && parsed.Errors.All(e => e.SymbolResult is CommandResult { Command: var c } && c == root))
        {
            await root.Parse(["--help"]).InvokeAsync(invocation).ConfigureAwait(false);
            return ExitCodes.Usage;
        }

        foreach (var problem in parsed.Errors)
        {
            await context.FailAsync(problem.Message).ConfigureAwait(false);
        }

        var path = new List<string>();
        for (var result = parsed.CommandResult; result.Command != root; result = (CommandResult)result.Parent!)
        {
            path.Insert(0, result.Command.Name);
        }

        await context.Error.WriteLineAsync($"run '{string.Join(' ', [Name, .. path, "--help"])}' for usage").ConfigureAwait(false);
        return ExitCodes.Usage;
    }
}

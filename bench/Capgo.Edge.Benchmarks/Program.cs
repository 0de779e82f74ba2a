using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace Capgo.Edge.Benchmarks;

/// <summary>
/// Runs the benchmarks in this process (InProcessEmitToolchain): no per-benchmark project is
/// generated or built, and nothing touches the network. Pass BenchmarkDotNet's usual switches,
/// e.g. <c>--filter '*Decision*' --job short</c>.
/// </summary>
public static class BenchmarkProgram
{
    public static void Main(string[] args)
    {
        var config = DefaultConfig.Instance
            .AddJob(Job.Default.WithToolchain(InProcessEmitToolchain.Instance).AsDefault());

        // Command-line jobs (--job short, ...) run in process too.
        var arguments = args.Contains("--inProcess", StringComparer.OrdinalIgnoreCase) ? args : [.. args, "--inProcess"];
        BenchmarkSwitcher.FromAssembly(typeof(BenchmarkProgram).Assembly).Run(arguments, config);
    }
}

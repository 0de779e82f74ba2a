using BenchmarkDotNet.Running;

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
        // --inProcess makes the default job, and any --job given, use InProcessEmitToolchain.
        var arguments = args.Contains("--inProcess", StringComparer.OrdinalIgnoreCase) ? args : [.. args, "--inProcess"];
        BenchmarkSwitcher.FromAssembly(typeof(BenchmarkProgram).Assembly).Run(arguments);
    }
}

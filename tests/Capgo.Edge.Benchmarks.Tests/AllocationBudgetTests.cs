using System.Linq.Expressions;
using System.Reflection;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using Xunit.Abstractions;

namespace Capgo.Edge.Benchmarks.Tests;

/// <summary>
/// Runs every benchmark method the way BenchmarkDotNet's MemoryDiagnoser would count it (bytes
/// allocated on the calling thread per invocation, after set-up and warm-up) and holds it to
/// <c>bench/allocation-budgets.json</c>. No timing is asserted.
/// </summary>
public sealed class AllocationBudgetTests
{
    private const int WarmupInvocations = 2_000;
    private const int MeasuredInvocations = 10_000;

    /// <summary>
    /// Rounds of <see cref="MeasuredInvocations"/>; the lowest count wins. A real per-call
    /// allocation shows in every round, while runtime noise (allocation-context accounting around
    /// a GC, a timer on another thread for async rows) only ever adds bytes to some rounds.
    /// </summary>
    private const int Rounds = 5;

    private readonly ITestOutputHelper _output;

    public AllocationBudgetTests(ITestOutputHelper output) => _output = output;

    public static TheoryData<string> BudgetedBenchmarks()
    {
        var data = new TheoryData<string>();
        foreach (var name in Budgets.Keys.Order(StringComparer.Ordinal))
        {
            data.Add(name);
        }

        return data;
    }

    [Fact]
    public void Every_benchmark_has_a_budget_and_every_budget_a_benchmark()
    {
        var benchmarks = BenchmarkMethods().Select(static m => Name(m)).ToHashSet(StringComparer.Ordinal);
        Assert.NotEmpty(benchmarks);

        var missing = benchmarks.Where(b => !Budgets.ContainsKey(b)).Order(StringComparer.Ordinal).ToList();
        var stale = Budgets.Keys.Where(b => !benchmarks.Contains(b)).Order(StringComparer.Ordinal).ToList();
        Assert.True(missing.Count == 0, "benchmarks without an entry in bench/allocation-budgets.json: " + string.Join(", ", missing));
        Assert.True(stale.Count == 0, "budget entries with no [Benchmark] method: " + string.Join(", ", stale));
    }

    [Theory]
    [MemberData(nameof(BudgetedBenchmarks))]
    public void Benchmark_allocates_within_its_budget(string benchmark)
    {
        var method = BenchmarkMethods().SingleOrDefault(m => Name(m) == benchmark);
        Assert.True(method is not null, $"no [Benchmark] method named {benchmark}");

        var budget = Budgets[benchmark];
        var perOp = MeasureBytesPerOperation(method);
        _output.WriteLine($"{benchmark}: {perOp:0.##} B/op (budget {budget} B/op)");

        // Whole bytes per operation, as BenchmarkDotNet reports them.
        Assert.True(
            Math.Floor(perOp) <= budget,
            $"{benchmark} allocates {perOp:0.##} B/op, over its budget of {budget} B/op (bench/allocation-budgets.json)");
    }

    private static double MeasureBytesPerOperation(MethodInfo method)
    {
        var type = method.DeclaredType();
        var instance = Activator.CreateInstance(type)!;
        foreach (var setup in type.GetMethods().Where(static m => m.GetCustomAttribute<GlobalSetupAttribute>() is not null))
        {
            setup.Invoke(instance, null);
        }

        try
        {
            var measure = method.ReturnType == typeof(void)
                ? typeof(AllocationBudgetTests).GetMethod(nameof(MeasureAction), BindingFlags.NonPublic | BindingFlags.Static)!
                : typeof(AllocationBudgetTests).GetMethod(nameof(MeasureFunc), BindingFlags.NonPublic | BindingFlags.Static)!
                    .MakeGenericMethod(method.ReturnType);
            var invoker = method.CreateDelegate(
                method.ReturnType == typeof(void) ? typeof(Action) : Expression.GetFuncType(method.ReturnType),
                instance);
            return (double)measure.Invoke(null, [invoker])!;
        }
        finally
        {
            foreach (var cleanup in type.GetMethods().Where(static m => m.GetCustomAttribute<GlobalCleanupAttribute>() is not null))
            {
                cleanup.Invoke(instance, null);
            }
        }
    }

    private static double MeasureFunc<T>(Func<T> benchmark)
    {
        if (typeof(Task).IsAssignableFrom(typeof(T)))
        {
            return MeasureAsync(() => (Task)(object)benchmark()!);
        }

        for (var i = 0; i < WarmupInvocations; i++)
        {
            GC.KeepAlive(benchmark());
        }

        return LowestRound(() =>
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            for (var i = 0; i < MeasuredInvocations; i++)
            {
                GC.KeepAlive(benchmark());
            }

            return GC.GetAllocatedBytesForCurrentThread() - before;
        });
    }

    /// <summary>
    /// Asynchronous benchmarks (the in-memory pipeline) may continue on other threads, so they are
    /// counted process-wide, as BenchmarkDotNet's MemoryDiagnoser does.
    /// </summary>
    private static double MeasureAsync(Func<Task> benchmark)
    {
        for (var i = 0; i < WarmupInvocations; i++)
        {
            benchmark().GetAwaiter().GetResult();
        }

        return LowestRound(() =>
        {
            var before = GC.GetTotalAllocatedBytes(precise: true);
            for (var i = 0; i < MeasuredInvocations; i++)
            {
                benchmark().GetAwaiter().GetResult();
            }

            return GC.GetTotalAllocatedBytes(precise: true) - before;
        });
    }

    private static double MeasureAction(Action benchmark)
    {
        for (var i = 0; i < WarmupInvocations; i++)
        {
            benchmark();
        }

        return LowestRound(() =>
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            for (var i = 0; i < MeasuredInvocations; i++)
            {
                benchmark();
            }

            return GC.GetAllocatedBytesForCurrentThread() - before;
        });
    }

    private static double LowestRound(Func<long> measureRound)
    {
        var lowest = long.MaxValue;
        for (var round = 0; round < Rounds; round++)
        {
            lowest = Math.Min(lowest, measureRound());
        }

        return lowest / (double)MeasuredInvocations;
    }

    private static IEnumerable<MethodInfo> BenchmarkMethods() =>
        typeof(BenchData).Assembly.GetTypes()
            .Where(static t => t is { IsClass: true, IsAbstract: false, IsPublic: true })
            .SelectMany(static t => t.GetMethods(BindingFlags.Public | BindingFlags.Instance))
            .Where(static m => m.GetCustomAttribute<BenchmarkAttribute>() is not null);

    private static string Name(MethodInfo method) => $"{method.DeclaredType().Name}.{method.Name}";

    private static Dictionary<string, long> Budgets { get; } = LoadBudgets();

    private static Dictionary<string, long> LoadBudgets()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "allocation-budgets.json");
        using var document = JsonDocument.Parse(File.ReadAllBytes(path));
        return document.RootElement.GetProperty("budgets").EnumerateObject()
            .ToDictionary(static p => p.Name, static p => p.Value.GetInt64(), StringComparer.Ordinal);
    }
}

internal static class MethodInfoExtensions
{
    public static Type DeclaredType(this MethodInfo method) => method.ReflectedType ?? method.DeclaringType!;
}

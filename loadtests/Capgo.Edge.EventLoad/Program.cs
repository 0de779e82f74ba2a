using System.CommandLine;
using System.Text.Json;
using Capgo.Edge.EventLoad;
using StackExchange.Redis;

// event-load: the control-plane event consumer's throughput on a realistic stream, with its totals checked.
var events = new Option<int>("--events") { Description = "entries written to the stream", DefaultValueFactory = _ => 1_000_000 };
var quick = new Option<bool>("--short") { Description = $"{BenchOptions.ShortEvents:N0} entries (what a test runs); overrides --events" };
var devices = new Option<int?>("--devices") { Description = "distinct devices (default: one per ten entries)" };
var seed = new Option<int>("--seed") { Description = "seed of the event mix", DefaultValueFactory = _ => 42 };
var redis = new Option<string?>("--redis") { Description = "a running Redis, host:port or a cluster's nodes host:port,host:port,... (default: start one on a free port); its streams under --prefix must be empty" };
var shards = new Option<int>("--shards") { Description = "Events:Shards: streams the entries are spread over by device, as edges spread them", DefaultValueFactory = _ => 1 };
var prefix = new Option<string>("--prefix") { Description = "key prefix (Sync:Prefix)", DefaultValueFactory = _ => Capgo.Edge.Redis.RedisLayout.DefaultPrefix };
var service = new Option<string>("--service") { Description = "the built Capgo.Edge.ControlPlane.Service.dll, run as dotnet <dll>", Required = true };
var batch = new Option<int?>("--batch-size") { Description = "Analytics:BatchSize for the service (default: the service's own)" };
var serviceArgs = new Option<string[]>("--service-arg") { Description = "another --Key=Value for the service (repeatable)", DefaultValueFactory = _ => [] };
var timeout = new Option<int>("--timeout") { Description = "seconds the consumer may take", DefaultValueFactory = _ => 600 };
var json = new Option<string?>("--json") { Description = "also write the result as JSON to this file" };

var root = new RootCommand("Fills the event stream with realistic entries, runs one control-plane service on it, prints its events/s and checks every total")
{
    events, quick, devices, seed, redis, prefix, shards, service, batch, serviceArgs, timeout, json,
};
root.SetAction(async (parsed, cancel) =>
{
    var options = new BenchOptions
    {
        Events = parsed.GetValue(quick) ? BenchOptions.ShortEvents : parsed.GetValue(events),
        Devices = parsed.GetValue(devices),
        Seed = parsed.GetValue(seed),
        Redis = parsed.GetValue(redis),
        Prefix = parsed.GetRequiredValue(prefix),
        Shards = parsed.GetValue(shards),
        Service = Path.GetFullPath(parsed.GetRequiredValue(service)),
        BatchSize = parsed.GetValue(batch),
        ServiceArgs = parsed.GetRequiredValue(serviceArgs),
        Timeout = TimeSpan.FromSeconds(parsed.GetValue(timeout)),
    };
    try
    {
        var result = await ConsumerBenchmark.RunAsync(options, Console.Out, cancel);
        Console.WriteLine(Report.Markdown(result));
        if (parsed.GetValue(json) is { } file)
        {
            await File.WriteAllTextAsync(file, JsonSerializer.Serialize(result, EventLoadJson.Default.BenchResult), cancel);
        }

        return result.Verified ? 0 : 1;
    }
    catch (Exception error) when (error is InvalidOperationException or TimeoutException or FileNotFoundException or RedisException)
    {
        Console.Error.WriteLine($"event-load: {error.Message}");
        return 2;
    }
});

root.HelpName = "event-load";
return await root.Parse(args).InvokeAsync();

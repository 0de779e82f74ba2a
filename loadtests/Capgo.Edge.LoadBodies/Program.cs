using System.CommandLine;
using System.Text.Json;
using Capgo.Edge.LoadBodies;
using Google.Protobuf;

// load-bodies: the bodies loadtests/lib/bodies.py asks for, encoded by the contract's generated messages.
var spec = new Option<string>("--spec") { Description = "JSON file: {\"grpc\": [UpdateRequest…], \"http\": [UpdateRequest…]} in the contract's JSON names", Required = true };
var output = new Option<string>("--out") { Description = "the bodies folder to write", Required = true };
var checks = new Command("checks", "write grpc-check-N.bin (gRPC frames) and http-check.txt (JSON lines) from a spec") { spec, output };
checks.SetAction(parsed => Run(() => Console.WriteLine(JsonSerializer.Serialize(
    BodyFiles.WriteChecks(parsed.GetRequiredValue(spec), parsed.GetRequiredValue(output))))));

var bodies = new Option<string>("--bodies") { Description = "the bodies folder holding grpc-check-N.bin", Required = true };
var mode = new Option<string>("--mode") { Description = "--echo-bytes: exchange, request or both", Required = true };
mode.AcceptOnlyFromAmong("exchange", "request", "both");
var replies = new Option<int[]>("--grpc-check-reply-bytes")
{
    Description = "framed reply bytes probed for each gRPC check body, in order",
    Required = true,
    AllowMultipleArgumentsPerToken = true,
};
var httpRequest = new Option<double?>("--http-check-request-mean") { Description = "mean HTTP check request body bytes (with the reply mean: write the HTTP echo bodies)" };
var httpReply = new Option<double?>("--http-check-reply-mean") { Description = "mean HTTP check reply body bytes" };
var echo = new Command("echo", "write grpc-echo-N.bin, grpc-echo-req-N.bin (and http-echo.txt, http-echo-req.txt) sized after the checks; prints the sizes")
{
    bodies, mode, replies, httpRequest, httpReply,
};
echo.Validators.Add(result =>
{
    if (result.GetValue(httpRequest) is null != result.GetValue(httpReply) is null)
    {
        result.AddError("--http-check-request-mean and --http-check-reply-mean go together");
    }
});
echo.SetAction(parsed => Run(() =>
{
    var sizes = BodyFiles.WriteEchoes(parsed.GetRequiredValue(bodies), Enum.Parse<EchoBytes>(parsed.GetRequiredValue(mode), ignoreCase: true),
        parsed.GetRequiredValue(replies), parsed.GetValue(httpRequest), parsed.GetValue(httpReply));
    Console.WriteLine(JsonSerializer.Serialize(sizes, new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower }));
}));

var method = new Option<string>("--method") { Description = "CheckForUpdate or Echo", Required = true };
method.AcceptOnlyFromAmong("CheckForUpdate", "Echo");
var files = new Argument<string[]>("replies") { Description = "framed gRPC replies (curl -o)", Arity = ArgumentArity.OneOrMore };
var decode = new Command("decode", "print each reply as contract JSON (null for an empty, trailers-only reply), one JSON array") { method, files };
decode.SetAction(parsed => Run(() => Console.WriteLine(BodyFiles.DecodeReplies(parsed.GetRequiredValue(method), parsed.GetRequiredValue(files)))));

var root = new RootCommand("Request bodies for the load harness (h2load gRPC frames, wrk JSON lines), encoded by the contract's generated messages")
{
    checks, echo, decode,
};

// Help names the tool as the harness and its messages do, not after the assembly.
root.HelpName = "load-bodies";
return root.Parse(args).Invoke();

// Bad input (a spec that is not UpdateRequests, a missing file, a reply that is not a frame): one line, exit 2.
static int Run(Action action)
{
    try
    {
        action();
        return 0;
    }
    catch (Exception error) when (error is IOException or InvalidDataException or JsonException or InvalidProtocolBufferException
                                           or UnauthorizedAccessException or ArgumentException)
    {
        Console.Error.WriteLine($"load-bodies: {error.Message}");
        return 2;
    }
}

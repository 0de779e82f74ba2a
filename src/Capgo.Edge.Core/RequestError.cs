namespace Capgo.Edge.Core;

/// <summary>A request rejected before any decision: HTTP 400 (gRPC INVALID_ARGUMENT).</summary>
public sealed class RequestError
{
    private static readonly IReadOnlyList<FieldProblem> NoIssues = [];

    public RequestError(string code, string message, IReadOnlyList<FieldProblem>? issues = null)
    {
        Code = code;
        Message = message;
        Issues = issues ?? NoIssues;
    }

    public string Code { get; }
    public string Message { get; }

    /// <summary>The broken rules, in the contract's field order (empty unless <c>invalid_json_body</c>).</summary>
    public IReadOnlyList<FieldProblem> Issues { get; }

    public static RequestError InvalidJson { get; } = new("invalid_json_parse_body", "Invalid JSON body");
    public static RequestError EmptyBody { get; } = new("invalid_json_body", "Cannot parse body");
    public static RequestError MissingDeviceId { get; } = new("missing_device_id", "Cannot find device_id");
    public static RequestError MissingAppId { get; } = new("missing_app_id", "Cannot find app_id");

    public static RequestError Semver(string versionBuild) => new(
        "semver_error",
        $"Native version: {versionBuild} doesn't follow semver convention, please check https://capgo.app/semver_tester/ to learn more about semver usage in Capgo");

    public static RequestError Invalid(IReadOnlyList<FieldProblem> issues) => new("invalid_json_body", "Cannot parse body", issues);
}

/// <summary>One broken rule: the field (its JSON name) and what is wrong with it.</summary>
public readonly record struct FieldProblem(string Field, string Message);

using System.ComponentModel.DataAnnotations;

namespace Capgo.Edge.Server.Admin;

/// <summary>
/// The admin endpoint (section <c>Admin</c>): off unless <c>Kestrel:Endpoints:Admin:Url</c> is set, and
/// then only with an API key. Put the key in the environment (<c>Admin__ApiKey</c>), not on a command line.
/// </summary>
internal sealed class AdminOptions : IValidatableObject
{
    public const string Section = "Admin";
    public const string ApiKeyHeader = "x-api-key";

    public string? ApiKey { get; set; }

    /// <summary>The admin endpoint's port, read from <c>Kestrel:Endpoints:Admin:Url</c>; 0 when off.</summary>
    public int Port { get; set; }

    public bool Enabled => Port > 0;

    /// <summary>The port of <c>Kestrel:Endpoints:Admin:Url</c>, or 0 when it is not set.</summary>
    public static int PortOf(IConfiguration configuration)
    {
        var url = configuration["Kestrel:Endpoints:Admin:Url"];
        return string.IsNullOrEmpty(url) ? 0 : BindingAddress.Parse(url).Port;
    }

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Enabled && (ApiKey is null || ApiKey.Length < 16))
        {
            yield return new ValidationResult(
                "Kestrel:Endpoints:Admin is configured, so Admin:ApiKey must be set to a secret of at least 16 characters",
                [nameof(ApiKey)]);
        }
    }
}

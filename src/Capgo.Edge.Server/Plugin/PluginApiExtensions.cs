namespace Capgo.Edge.Server.Plugin;

internal static class PluginApiExtensions
{
    /// <summary>What every plugin endpoint shares: the API's limits and the one body reader.</summary>
    public static IServiceCollection AddEdgePluginApi(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<HttpApiOptions>()
            .Bind(configuration.GetSection(HttpApiOptions.Section))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddSingleton<PluginBodyReader>();
        return services;
    }
}

using System.Security.Claims;
using Capgo.Edge.ControlPlane.Analytics;
using Capgo.Edge.ControlPlane.Releases;
using Capgo.Edge.ControlPlane.Stores;
using Capgo.Edge.Redis;
using Microsoft.AspNetCore.Authentication.Cookies;
using StackExchange.Redis;

namespace Capgo.Edge.ControlPlane.Service.Dashboard;

/// <summary>
/// The release dashboard under <c>/dashboard</c> (docs/dashboard.md): server-rendered pages behind a
/// sign-in with an app's API key, antiforgery on every form, assets served from the assembly.
/// </summary>
internal static class DashboardSetup
{
    public const string Root = "/dashboard";

    public static IServiceCollection AddControlPlaneDashboard(this IServiceCollection services)
    {
        services.AddAuthentication(CookieAuthenticationDefaults.AuthenticationScheme).AddCookie(o =>
        {
            o.Cookie.Name = "capgo_dashboard";
            o.Cookie.Path = Root;
            o.Cookie.HttpOnly = true;
            o.Cookie.SameSite = SameSiteMode.Strict;
            o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            o.LoginPath = Root + "/sign-in";
            o.ExpireTimeSpan = TimeSpan.FromHours(8);
            o.SlidingExpiration = true;
            o.Events.OnValidatePrincipal = SignInPage.ValidateAsync;
            o.Events.OnRedirectToLogin = static context =>
            {
                // A page goes to the sign-in form; the live fragment (fetched by script) gets a bare 401.
                if (context.Request.Path.Value?.EndsWith("/live", StringComparison.Ordinal) == true)
                {
                    context.Response.StatusCode = StatusCodes.Status401Unauthorized;
                }
                else
                {
                    context.Response.Redirect(context.RedirectUri);
                }

                return Task.CompletedTask;
            };
        });
        services.AddAuthorization();
        services.AddAntiforgery(o =>
        {
            o.Cookie.Name = "capgo_dashboard_af";
            o.Cookie.Path = Root;
            o.Cookie.SameSite = SameSiteMode.Strict;
        });
        services.AddSingleton(static sp => new ChannelHistory(sp.GetRequiredService<RedisAppStore>()));
        services.AddSingleton(static sp => new ReleaseOperations(sp.GetRequiredService<AppChanges>(), sp.GetRequiredService<ChannelHistory>()));
        services.AddSingleton(static sp => new DashboardData(
            sp.GetRequiredService<RedisAppStore>(), sp.GetRequiredService<ChannelHistory>(), sp.GetRequiredService<ReleaseStats>(), sp.GetRequiredService<DeviceRegistry>(),
            sp.GetRequiredService<IConnectionMultiplexer>(), sp.GetRequiredService<RedisLayout>()));
        return services;
    }

    public static WebApplication MapControlPlaneDashboard(this WebApplication app)
    {
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseAntiforgery();
        app.Use(static (context, next) =>
        {
            if (context.Request.Path.StartsWithSegments(Root, StringComparison.Ordinal))
            {
                // Scripts and styles from this service only; no frames.
                context.Response.Headers.ContentSecurityPolicy = "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'";
                context.Response.Headers.XContentTypeOptions = "nosniff";
                context.Response.Headers.CacheControl = "no-store";
            }

            return next(context);
        });

        var open = app.MapGroup(Root).AllowAnonymous();
        open.MapGet("/sign-in", SignInPage.Show);
        open.MapPost("/sign-in", SignInPage.SubmitAsync);
        open.MapGet("/assets/{name}", DashboardAssets.Get);

        var pages = app.MapGroup(Root).RequireAuthorization();
        pages.MapPost("/sign-out", SignInPage.SignOutAsync);
        pages.MapGet("/", AppsPage.ShowAsync);
        pages.MapGet("/apps/{app}", AppPage.ShowAsync);
        pages.MapGet("/apps/{app}/devices", DevicePage.ShowAsync);
        pages.MapGet("/apps/{app}/channels/{channel}", RolloutPage.ShowAsync);
        pages.MapGet("/apps/{app}/channels/{channel}/live", RolloutPage.LiveAsync);
        pages.MapPost("/apps/{app}/channels/{channel}/actions/{action}", ActionsEndpoint.PostAsync);
        return app;
    }

    /// <summary>True when the signed-in key grants the app.</summary>
    public static bool Grants(ClaimsPrincipal user, string appId) =>
        string.Equals(SignInPage.Session(user).AppId, appId, StringComparison.OrdinalIgnoreCase);

    /// <summary>A 403 page when the signed-in key does not grant the app; null when it does.</summary>
    public static IResult? Refuse(ClaimsPrincipal user, string appId, string antiforgery) =>
        Grants(user, appId)
            ? null
            : Html.Page("Forbidden", SignInPage.Session(user).Actor, Html.Notice("error", $"Your key does not grant app {appId}.") + "<p><a href=\"/dashboard\">Your apps</a></p>", StatusCodes.Status403Forbidden, antiforgery);
}

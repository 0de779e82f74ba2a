using System.Security.Claims;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Mvc;

namespace Capgo.Edge.ControlPlane.Service.Dashboard;

/// <summary>
/// Sign-in with a release-API key (one key grants one app): the key is verified as the release API
/// verifies it, and the session is an ASP.NET Core authentication cookie (HttpOnly, SameSite=Strict,
/// encrypted by Data Protection) holding the key, so every request re-verifies it through
/// <see cref="ApiKeyAuthorizer"/> and a revoked key ends its sessions.
/// </summary>
internal static class SignInPage
{
    public const string AppClaim = "capgo:app";
    public const string KeyClaim = "capgo:key";

    public static IResult Show(HttpContext http, IAntiforgery antiforgery, string? error = null)
    {
        var body = $"""
            <section class="signin"><h1>Sign in</h1>
            {(error is null ? "" : Html.Notice("error", error))}
            <form method="post" action="/dashboard/sign-in">{Html.Antiforgery(antiforgery, http)}
            <label for="key">API key of an app (<code>capgo-edge key create --app …</code>)</label>
            <input id="key" name="key" type="password" autocomplete="off" required autofocus>
            <button class="primary" type="submit" id="sign-in">Sign in</button></form></section>
            """;
        return Html.Page("Sign in", null, body, error is null ? StatusCodes.Status200OK : StatusCodes.Status401Unauthorized);
    }

    public static async Task<IResult> SubmitAsync(HttpContext http, [FromForm] string? key, ApiKeyAuthorizer keys, IAntiforgery antiforgery)
    {
        var info = string.IsNullOrEmpty(key) ? null : await keys.VerifyAsync(key, http.RequestAborted).ConfigureAwait(false);
        if (info is null)
        {
            return Show(http, antiforgery, "That key is unknown or revoked.");
        }

        var identity = new ClaimsIdentity(
            [new Claim(ClaimTypes.Name, info.Name), new Claim(AppClaim, info.AppId), new Claim(KeyClaim, key!)],
            CookieAuthenticationDefaults.AuthenticationScheme);
        await http.SignInAsync(CookieAuthenticationDefaults.AuthenticationScheme, new ClaimsPrincipal(identity)).ConfigureAwait(false);
        return Results.Redirect("/dashboard");
    }

    public static async Task<IResult> SignOutAsync(HttpContext http, IAntiforgery antiforgery)
    {
        if (!await antiforgery.IsRequestValidAsync(http).ConfigureAwait(false))
        {
            return Results.BadRequest();
        }

        await http.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme).ConfigureAwait(false);
        return Results.Redirect("/dashboard/sign-in");
    }

    /// <summary>Rejects a session whose key was revoked since sign-in (checked through the authorizer's cache).</summary>
    public static async Task ValidateAsync(CookieValidatePrincipalContext context)
    {
        var key = context.Principal?.FindFirst(KeyClaim)?.Value;
        var keys = context.HttpContext.RequestServices.GetRequiredService<ApiKeyAuthorizer>();
        if (key is null || await keys.VerifyAsync(key, context.HttpContext.RequestAborted).ConfigureAwait(false) is null)
        {
            context.RejectPrincipal();
            await context.HttpContext.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme).ConfigureAwait(false);
        }
    }

    /// <summary>The app the signed-in key grants, and the key's name (the actor of what the session changes).</summary>
    public static (string AppId, string Actor) Session(ClaimsPrincipal user) =>
        (user.FindFirst(AppClaim)?.Value ?? "", user.Identity?.Name ?? "");
}

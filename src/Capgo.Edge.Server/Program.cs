using Capgo.Edge.Server.Hosting;
using Capgo.Edge.Server.Projection;
using Capgo.Edge.Server.Updates;

var builder = WebApplication.CreateBuilder(args);
builder.AddEdgeKestrel();
builder.Services.AddEdgeProjection(builder.Configuration);
builder.Services.AddEdgeUpdates(builder.Configuration);

var app = builder.Build();
app.UseEdgePluginJsonGuard();
app.MapEdgeUpdates();
app.MapEdgeHealth();
app.Run();

/// <summary>The entry point, visible to in-process tests.</summary>
public partial class Program;

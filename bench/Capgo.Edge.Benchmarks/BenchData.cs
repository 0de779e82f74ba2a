using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Capgo.Edge.Contracts.V1;
using Capgo.Edge.Core;
using Google.Protobuf;
using Microsoft.Extensions.DependencyInjection;

namespace Capgo.Edge.Benchmarks;

/// <summary>
/// The data every benchmark answers from: the shipped sample app document (three channels, a 25 %
/// rollout on <c>production</c>, metadata exposed) grown to a realistic 1 000 device overrides, and
/// one validated check per decision path.
/// </summary>
public sealed class BenchData
{
    /// <summary>The Android plugin body of <c>shared/vectors/android-update-request.json</c>, byte for byte.</summary>
    public const string AndroidVectorJson =
        """{"platform":"android","device_id":"00009a6b-eefe-490a-9c60-8e965132ae51","app_id":"com.demo.app","custom_id":"","version_build":"1.2.0","version_code":"42","version_os":"14","version_name":"1.3.1","plugin_version":"8.51.23","is_emulator":false,"is_prod":true,"install_source":"com.android.vending","defaultChannel":"beta"}""";

    /// <summary>The device the sample pins to <c>development</c>.</summary>
    public const string OverrideDeviceId = "3e0f3a8c-51b6-4c58-9a34-2f1d2c7b9e10";

    public const int ExtraOverrides = 1_000;

    private static readonly Lazy<BenchData> Shared = new(() => new BenchData());

    private BenchData()
    {
        Snapshot = AppDocument.Parse(BuildDocument(), generation: 1);
        Rollout = Snapshot.ChannelsByName["production"].Rollout!;

        RolloutHitDeviceId = FindDevice(inRollout: true);
        RolloutMissDeviceId = FindDevice(inRollout: false);

        AndroidVectorUtf8 = Encoding.UTF8.GetBytes(AndroidVectorJson);
        AndroidRequest = ToRequest(AndroidVectorJson);
        AndroidRequestBytes = AndroidRequest.ToByteArray();

        // Offer: the Android vector (beta channel via defaultChannel, 1.3.1 → 1.6.0-beta.1).
        Offer = Check(AndroidRequest);
        OfferDecision = UpdateDecider.Decide(Snapshot, Offer);
        UpToDate = Check(With(AndroidRequest, r => r.VersionName = "1.6.0-beta.1"));

        // Blocked: native 0.9.0 may not jump to major 1 (disable_auto_update = major).
        Blocked = Check(With(AndroidRequest, r => r.VersionBuild = "0.9.0"));
        RolloutHit = Check(With(AndroidRequest, r =>
        {
            r.ClearDefaultChannel();
            r.DeviceId = RolloutHitDeviceId;
        }));
        RolloutMiss = Check(With(AndroidRequest, r =>
        {
            r.ClearDefaultChannel();
            r.DeviceId = RolloutMissDeviceId;
        }));

        // Override: pinned to development (prod builds disabled there), a dev build gets 1.6.0-dev.3.
        Override = Check(With(AndroidRequest, r =>
        {
            r.ClearDefaultChannel();
            r.DeviceId = OverrideDeviceId.ToUpperInvariant();
            r.IsProd = false;
        }));
    }

    public static BenchData Instance => Shared.Value;

    public AppSnapshot Snapshot { get; }
    public Rollout Rollout { get; }
    public string RolloutHitDeviceId { get; }
    public string RolloutMissDeviceId { get; }

    public byte[] AndroidVectorUtf8 { get; }
    public UpdateRequest AndroidRequest { get; }
    public byte[] AndroidRequestBytes { get; }

    public UpdateCheck Offer { get; }
    public UpdateDecision OfferDecision { get; }
    public UpdateCheck UpToDate { get; }
    public UpdateCheck Blocked { get; }
    public UpdateCheck RolloutHit { get; }
    public UpdateCheck RolloutMiss { get; }
    public UpdateCheck Override { get; }

    /// <summary>A store holding the snapshot, marked loaded, as the server holds it.</summary>
    /// <summary>
    /// The service as the host builds it: default abuse guard, metrics with no listener attached, and
    /// the event queue with no control plane (so queued events are counted, then dropped when full).
    /// </summary>
    internal static Capgo.Edge.Server.Updates.UpdateServiceImpl CreateService(ProjectionStore store)
    {
        var configuration = new Microsoft.Extensions.Configuration.ConfigurationBuilder().Build();
        var services = new ServiceCollection().AddLogging();
        Capgo.Edge.Server.Events.EventsServiceCollectionExtensions.AddEdgeEvents(services, configuration);
        var provider = services.BuildServiceProvider();
        var abuse = new Capgo.Edge.Server.Abuse.AbuseGuard(Microsoft.Extensions.Options.Options.Create(new Capgo.Edge.Server.Abuse.AbuseOptions()), TimeProvider.System);
        var metrics = new Capgo.Edge.Server.Observability.EdgeMetrics(provider.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(), store, new Capgo.Edge.Server.Projection.ProjectionHealth(), TimeProvider.System, Microsoft.Extensions.Options.Options.Create(new Capgo.Edge.Server.Observability.MetricsOptions()));
        var evaluator = new Capgo.Edge.Server.Updates.CheckEvaluator(store, abuse, metrics, provider.GetRequiredService<Capgo.Edge.Server.Events.EventQueue>());
        return new Capgo.Edge.Server.Updates.UpdateServiceImpl(evaluator, abuse, metrics, Microsoft.Extensions.Options.Options.Create(new Capgo.Edge.Server.Updates.EchoOptions()));
    }

    public ProjectionStore CreateStore()
    {
        var store = new ProjectionStore();
        store.TryApply(Snapshot);
        store.MarkLoaded();
        return store;
    }

    public static UpdateRequest With(UpdateRequest request, Action<UpdateRequest> change)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(change);
        var copy = request.Clone();
        change(copy);
        return copy;
    }

    public static UpdateCheck Check(UpdateRequest request)
    {
        var error = RequestValidator.Validate(Server.Updates.RequestMapping.ToRaw(request), out var check);
        return error is null ? check : throw new InvalidOperationException($"benchmark request is invalid: {error.Code}");
    }

    private static UpdateRequest ToRequest(string json) =>
        JsonParser.Default.Parse<UpdateRequest>(json);

    public static byte[] BuildDocument()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "data", "com.demo.app.json");
        var document = JsonNode.Parse(File.ReadAllBytes(path))!.AsObject();
        var overrides = document["device_overrides"]!.AsObject();
        string[] channels = ["beta", "development", "production"];
        for (var i = 0; i < ExtraOverrides; i++)
        {
            overrides[DeviceId(0x5000_0000u + (uint)i)] = channels[i % channels.Length];
        }

        return Encoding.UTF8.GetBytes(document.ToJsonString());
    }

    private string FindDevice(bool inRollout)
    {
        for (var i = 0u; ; i++)
        {
            var device = DeviceId(0x7000_0000u + i);
            var bucket = RolloutBucket.Compute(Rollout.Id, device);
            if (RolloutBucket.IsIn(bucket, Rollout.ShareBps) == inRollout)
            {
                return device;
            }
        }
    }

    /// <summary>A deterministic, valid UUID from a counter.</summary>
    public static string DeviceId(uint n) =>
        string.Create(CultureInfo.InvariantCulture, $"{n:x8}-0000-4000-8000-{n * 2654435761u:x12}");
}

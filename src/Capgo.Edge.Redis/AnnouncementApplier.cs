using Capgo.Edge.Core;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Capgo.Edge.Redis;

/// <summary>
/// Applies one announcement to the projection, on the sync loop (<see cref="SyncLoop"/>). Redis holds the
/// truth: an announcement says what changed, and what differs from what is held is read from Redis.
/// </summary>
internal sealed partial class AnnouncementApplier(ProjectionStore store, ProjectionReader reader, EdgePresence presence, RedisLayout layout, ChangeCounter changes, ILogger<AnnouncementApplier> logger)
{
    /// <summary>
    /// Applies one announcement. Generations are compared for equality only: what differs from what is
    /// held is read from Redis, which holds the truth. An override change applies in place only on the
    /// overrides generation it follows; after a gap (an announcement missed on any connection) the
    /// app's overrides are read again.
    /// </summary>
    public async Task ApplyAsync(IDatabase db, Announcement announcement)
    {
        var held = store.Find(announcement.AppId);
        switch (announcement.Type)
        {
            case Announcement.AppType when held is null || held.Generation != announcement.Generation:
                await reader.LoadAsync(db, announcement.AppId, forceOverrides: false).ConfigureAwait(false);
                break;

            case Announcement.OverrideType when held is not null && announcement.DeviceId is not null:
                var map = held.Overrides;
                if (map.Generation == announcement.Generation)
                {
                    break; // already held: read with the overrides after the change
                }

                if (announcement.Previous != map.Generation && announcement.Generation < map.Generation)
                {
                    // Published before the overrides held were read (a reload read a later state). After
                    // Redis's clock went back this also skips news; the reconcile finds the difference.
                    changes.Forget();
                    return;
                }

                if (announcement.Previous != map.Generation)
                {
                    LogOverrideGap(logger, announcement.AppId, map.Generation, announcement.Previous ?? -1);
                    await reader.LoadAsync(db, announcement.AppId, forceOverrides: true).ConfigureAwait(false);
                    break;
                }

                // Override announcements carry the change: applied in place, no read from Redis.
                if (announcement.Channel is null)
                {
                    map.Remove(announcement.DeviceId);
                }
                else
                {
                    map.Set(announcement.DeviceId, announcement.Channel);
                }

                map.Generation = announcement.Generation;
                presence.Acknowledge(db, held);
                break;

            case Announcement.DeleteType when held is not null:
                // Redis holds the truth: an app published again since (or a delete announced by
                // mistake) is still there, and is read rather than dropped.
                if (await db.KeyExistsAsync(layout.App(announcement.AppId)).ConfigureAwait(false))
                {
                    await reader.LoadAsync(db, announcement.AppId, forceOverrides: false).ConfigureAwait(false);
                }
                else
                {
                    reader.Remove(db, announcement.AppId);
                }

                break;
        }

        changes.Applied(announcement);
    }

    [LoggerMessage(EventId = 1108, Level = LogLevel.Information, Message = "Override announcement for {AppId} follows generation {Previous}, held {Held}: an announcement was missed; reloading the overrides")]
    private static partial void LogOverrideGap(ILogger logger, string appId, long held, long previous);

}

using StackExchange.Redis;

namespace Capgo.Edge.Redis;

/// <summary>
/// The Lua scripts that change the projection. Each runs atomically in Redis: a change and its
/// announcement are one step, so no reader sees half of it.
/// </summary>
internal static class Scripts
{
    /// <summary>
    /// Generations are microseconds of Redis's own clock, or last + 1 when that is not newer: unique
    /// names of changes that tell their age. Edges compare them for equality only, so a generation from
    /// a clock that went back (Redis back empty on a host whose clock is behind) still applies. The value
    /// it replaced is <c>follows</c>, which every announcement names: an edge that applied the
    /// announcement of exactly that value holds every change up to this one (docs/sync.md).
    /// </summary>
    private const string NextGeneration = """
        local follows = '0'
        local function nextgen(key)
          local t = redis.call('TIME')
          local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
          local last = tonumber(redis.call('GET', key) or '0')
          -- Written as a number always, so that the announcement stays valid JSON whatever the key holds.
          follows = string.format('%.0f', last)
          if now <= last then now = last + 1 end
          local s = string.format('%.0f', now)
          redis.call('SET', key, s)
          return s
        end
        """;

    /// <summary>
    /// KEYS: generation, apps, app, channels, overrides, tombstones, staging overrides, audit stream,
    /// overrides generation, channel history lists... ARGV: expected generation ('' = any, '0' = not published), audit entry
    /// ('' = none), history count n, n history entries, app id, document, changes channel, replace
    /// overrides (1/0), channel names... The expected generation makes a read-modify-write of the
    /// document a compare-and-set: a change made in between refuses it (STALE) and writes nothing.
    /// Audit and history entries are JSON objects without their opening brace: the script puts the
    /// generation first, so the record and the change are one step.
    /// </summary>
    public const string Publish = NextGeneration + """

        local expected = table.remove(ARGV, 1)
        local audit = table.remove(ARGV, 1)
        local nhistory = tonumber(table.remove(ARGV, 1))
        local history = {}
        for i = 1, nhistory do history[i] = table.remove(ARGV, 1) end
        if expected ~= '' then
          local current = redis.call('HGET', KEYS[3], 'gen') or '0'
          if current ~= expected then
            return redis.error_reply('STALE app ' .. ARGV[1] .. ' is at generation ' .. current .. ', not ' .. expected)
          end
        end
        local gen = nextgen(KEYS[1])
        redis.call('HSET', KEYS[3], 'doc', ARGV[2], 'gen', gen)
        redis.call('DEL', KEYS[4])
        if #ARGV >= 5 then redis.call('SADD', KEYS[4], unpack(ARGV, 5)) end
        if ARGV[4] == '1' then
          if redis.call('EXISTS', KEYS[7]) == 1 then
            redis.call('RENAME', KEYS[7], KEYS[5])
            redis.call('PERSIST', KEYS[5])
          else
            redis.call('DEL', KEYS[5])
          end
          redis.call('SET', KEYS[9], gen)
        end
        redis.call('SADD', KEYS[2], ARGV[1])
        redis.call('HDEL', KEYS[6], ARGV[1])
        for i = 1, nhistory do
          redis.call('LPUSH', KEYS[9 + i], '{"generation":' .. gen .. ',' .. history[i])
          redis.call('LTRIM', KEYS[9 + i], 0, 99)
        end
        if audit ~= '' then
          redis.call('XADD', KEYS[8], 'MAXLEN', '~', '100000', '*', 'entry', '{"generation":' .. gen .. ',' .. audit)
        end
        redis.call('PUBLISH', ARGV[3], '{"type":"app","app_id":' .. cjson.encode(ARGV[1]) .. ',"generation":' .. gen .. ',"follows":' .. follows .. '}')
        return gen
        """;

    /// <summary>
    /// KEYS: generation, overrides, overrides generation — the keys it writes, all an edge's user may write
    /// (an old plugin's channel choice goes through it with the edge's own rights). ARGV: app id, device
    /// id, channel ('' = remove), changes channel, ceiling ('' = none: a pin that adds a device is
    /// refused, <c>CAPPED</c>, when the app already holds that many; checked here, so it holds across
    /// every edge writing at once), then the app and channels keys it only reads: not declared, because
    /// Redis checks declared keys for writing, and the edge may only read them.
    /// </summary>
    public const string Override = NextGeneration + """

        if redis.call('EXISTS', ARGV[6]) == 0 then
          return redis.error_reply('UNKNOWN_APP app ' .. ARGV[1] .. ' is not published')
        end
        local channel = cjson.null
        if ARGV[3] == '' then
          if redis.call('HDEL', KEYS[2], ARGV[2]) == 0 then
            return redis.error_reply('NO_OVERRIDE device ' .. ARGV[2] .. ' has no override in app ' .. ARGV[1])
          end
        else
          if redis.call('SISMEMBER', ARGV[7], ARGV[3]) == 0 then
            return redis.error_reply('UNKNOWN_CHANNEL app ' .. ARGV[1] .. ' has no channel ' .. ARGV[3])
          end
          if ARGV[5] ~= '' and redis.call('HEXISTS', KEYS[2], ARGV[2]) == 0
             and redis.call('HLEN', KEYS[2]) >= tonumber(ARGV[5]) then
            return redis.error_reply('CAPPED app ' .. ARGV[1] .. ' holds its ceiling of ' .. ARGV[5] .. ' pins')
          end
          redis.call('HSET', KEYS[2], ARGV[2], ARGV[3])
          channel = ARGV[3]
        end
        local previous = redis.call('GET', KEYS[3]) or '0'
        local gen = nextgen(KEYS[1])
        redis.call('SET', KEYS[3], gen)
        redis.call('PUBLISH', ARGV[4], '{"type":"override","app_id":' .. cjson.encode(ARGV[1]) .. ',"generation":' .. gen ..
          ',"previous":' .. previous .. ',"follows":' .. follows .. ',"device_id":' .. cjson.encode(ARGV[2]) .. ',"channel":' .. cjson.encode(channel) .. '}')
        return gen
        """;

    /// <summary>KEYS: generation, apps, app, channels, overrides, tombstones, overrides generation. ARGV: app id, changes channel.</summary>
    public const string Delete = NextGeneration + """

        if redis.call('EXISTS', KEYS[3]) == 0 and redis.call('SISMEMBER', KEYS[2], ARGV[1]) == 0 then
          return redis.error_reply('UNKNOWN_APP app ' .. ARGV[1] .. ' is not published')
        end
        local gen = nextgen(KEYS[1])
        redis.call('DEL', KEYS[3], KEYS[4], KEYS[5], KEYS[7])
        redis.call('SREM', KEYS[2], ARGV[1])
        redis.call('HSET', KEYS[6], ARGV[1], gen)
        redis.call('PUBLISH', ARGV[2], '{"type":"delete","app_id":' .. cjson.encode(ARGV[1]) .. ',"generation":' .. gen .. ',"follows":' .. follows .. '}')
        return gen
        """;

    /// <summary>
    /// Applies one batch of events read by a consumer of the group, exactly once: only when every entry
    /// of the batch is still pending for this consumer (none was claimed away and counted by another),
    /// the aggregates and the acknowledgement land together; otherwise nothing is written and the
    /// script answers <c>STALE</c>, and the consumer recomputes the batch from what it still owns.
    /// KEYS: stream, counts, then every key the operations write (all of one event shard, so one slot
    /// on Redis Cluster, which routes the script by them). ARGV: group, consumer, n ids, the ids, then
    /// operations, each grouped by key so that a key is written with one command where Redis has one and
    /// expires once, the key given by its index k in KEYS:
    /// <c>I k ttl n (field delta)×n</c> (HINCRBY), <c>P k ttl n member×n</c> (PFADD),
    /// <c>D ttl nfields nrequired name×nfields n (k value×nfields)×n</c> (HSET of n registry entries;
    /// a field past the first nrequired is left out when its value is empty), <c>S k ttl n member×n</c>
    /// (SADD), <c>C field delta</c> (HINCRBY of the counts). Long argument lists go to Redis in runs of
    /// 1 000 (Lua's unpack limit).
    /// </summary>
    public const string Aggregate = """
        local group, consumer, n = ARGV[1], ARGV[2], tonumber(ARGV[3])
        local function each(command, key, first, last)
          for s = first, last, 1000 do redis.call(command, key, unpack(ARGV, s, math.min(s + 999, last))) end
        end
        if n > 0 then
          local pending = redis.call('XPENDING', KEYS[1], group, ARGV[4], ARGV[3 + n], n + 100000, consumer)
          local mine = {}
          for _, p in ipairs(pending) do mine[p[1]] = true end
          for i = 4, 3 + n do
            if not mine[ARGV[i]] then return redis.error_reply('STALE ' .. ARGV[i] .. ' is no longer pending for ' .. consumer) end
          end
        end
        local i = 4 + n
        while i <= #ARGV do
          local op = ARGV[i]
          if op == 'I' then
            local key, m = KEYS[tonumber(ARGV[i+1])], tonumber(ARGV[i+3])
            for j = i + 4, i + 2 + 2*m, 2 do redis.call('HINCRBY', key, ARGV[j], ARGV[j+1]) end
            redis.call('EXPIRE', key, ARGV[i+2])
            i = i + 4 + 2*m
          elseif op == 'P' or op == 'S' then
            local key, m = KEYS[tonumber(ARGV[i+1])], tonumber(ARGV[i+3])
            each(op == 'P' and 'PFADD' or 'SADD', key, i + 4, i + 3 + m)
            redis.call('EXPIRE', key, ARGV[i+2])
            i = i + 4 + m
          elseif op == 'D' then
            local ttl, nf, nreq = ARGV[i+1], tonumber(ARGV[i+2]), tonumber(ARGV[i+3])
            local names, m = i + 3, tonumber(ARGV[i+4+nf])
            local j, fields = i + 5 + nf, {}
            for _ = 1, m do
              -- one table reused for every entry (unpack takes its first k): a new table per entry makes this loop ~15 % dearer
              local k = 0
              for f = 1, nf do
                local value = ARGV[j+f]
                if f <= nreq or value ~= '' then
                  fields[k+1] = ARGV[names+f]
                  fields[k+2] = value
                  k = k + 2
                end
              end
              local key = KEYS[tonumber(ARGV[j])]
              redis.call('HSET', key, unpack(fields, 1, k))
              redis.call('EXPIRE', key, ttl)
              j = j + 1 + nf
            end
            i = j
          elseif op == 'C' then
            redis.call('HINCRBY', KEYS[2], ARGV[i+1], ARGV[i+2])
            i = i + 3
          else
            return redis.error_reply('BADOP ' .. tostring(op))
          end
        end
        for s = 4, 3 + n, 1000 do redis.call('XACK', KEYS[1], group, unpack(ARGV, s, math.min(s + 999, 3 + n))) end
        return n
        """;

    /// <summary>True when the override script refused a pin over the app's ceiling.</summary>
    public static bool IsCapped(RedisServerException ex) => ex.Message.StartsWith("CAPPED ", StringComparison.Ordinal);

    /// <summary>True when a script refused because the app moved past the expected generation.</summary>
    public static bool IsStale(RedisServerException ex) => ex.Message.StartsWith("STALE ", StringComparison.Ordinal);

    /// <summary>What a script refused, for the operator: scripts answer "CODE explanation".</summary>
    public static string Refusal(RedisServerException ex)
    {
        var message = ex.Message;
        var space = message.IndexOf(' ', StringComparison.Ordinal);
        return space > 0 && message[..space].All(static c => char.IsAsciiLetterUpper(c) || c == '_') ? message[(space + 1)..] : message;
    }
}

"""The Lua scripts of the shared crawl. Each runs atomically in Redis, so no state is ever
half-changed, whichever worker dies when. ``ARGV[1]`` is always the key prefix. (The scripts
touch keys they compute: fine on one Redis server, not on Redis Cluster.)"""

from __future__ import annotations

# Helpers shared by the scripts (prepended to each).
_COMMON = """
local P = ARGV[1]
local function requeue(worker, site)
    -- Back into their sites' queues: the requests ``worker`` popped (of ``site``, or all).
    local wip = P .. ':wip:' .. worker
    local entries = redis.call('HGETALL', wip)
    local moved = 0
    for i = 1, #entries, 2 do
        local s, fp = string.match(entries[i], '^(%S+) (.+)$')
        if site == '' or s == site then
            redis.call('ZADD', P .. ':q:' .. s, entries[i + 1], fp)
            redis.call('HDEL', wip, entries[i])
            redis.call('DECR', P .. ':busy:' .. s)
            moved = moved + 1
        end
    end
    return moved
end
local function ack(worker, site, fp)
    if redis.call('HDEL', P .. ':wip:' .. worker, site .. ' ' .. fp) == 1 then
        redis.call('DECR', P .. ':busy:' .. site)
        redis.call('HDEL', P .. ':req:' .. site, fp)
    end
end
"""

# ARGV: P, run_id, crawl_key, digest, then per site: name, fields JSON, group.
# Returns {run_id, crawl_key, digest, seeded (1 if this call seeded)}.
SEED = """
local run = P .. ':run'
if redis.call('EXISTS', run) == 0 then
    redis.call('HSET', run, 'run_id', ARGV[2], 'crawl_key', ARGV[3], 'digest', ARGV[4])
    for i = 5, #ARGV, 3 do
        redis.call('HSET', P .. ':sites', ARGV[i], ARGV[i + 1])
        redis.call('HSET', P .. ':group', ARGV[i], ARGV[i + 2])
        redis.call('RPUSH', P .. ':todo', ARGV[i])
    end
    return {ARGV[2], ARGV[3], ARGV[4], 1}
end
local got = redis.call('HMGET', run, 'run_id', 'crawl_key', 'digest')
return {got[1], got[2], got[3], 0}
"""

# ARGV: P, worker, scan limit. Leases the server group of the first site in ``todo`` whose
# group is free and returns the site's name and fields (or nothing). Looked-at busy sites
# go to the back of the list, so the next call looks at others.
LEASE = """
local worker = ARGV[2]
local todo = P .. ':todo'
local n = math.min(redis.call('LLEN', todo), tonumber(ARGV[3]))
for _ = 1, n do
    local site = redis.call('LINDEX', todo, 0)
    local group = redis.call('HGET', P .. ':group', site)
    if redis.call('SETNX', P .. ':lease:' .. group, worker) == 1 then
        redis.call('SADD', P .. ':held:' .. worker, group)
        return {site, redis.call('HGET', P .. ':sites', site)}
    end
    redis.call('RPOPLPUSH', todo, todo)
end
return false
"""

# ARGV: P, worker, site, status, final (1: done whatever is left, e.g. blocked), ended (1: the
# site's crawl here ended by itself, not stopped). The site's crawl on this worker ended: its
# requests still in progress here go back to the queue. The site is done when nothing is queued
# or in progress anywhere and no link is set aside that discovery may still try — the rule of
# the SQLite frontier: a crawl that ended by itself chose to leave what is still aside, a
# stopped one did not (a worker that took the site over tries them). A done site's keys are
# dropped. The group's lease is freed. Returns 1 when the site is done.
RELEASE = """
local worker, site, status = ARGV[2], ARGV[3], ARGV[4]
requeue(worker, site)
local done = 0
local idle = redis.call('ZCARD', P .. ':q:' .. site) == 0
    and tonumber(redis.call('GET', P .. ':busy:' .. site) or '0') <= 0
local kinds = redis.call('SMEMBERS', P .. ':asidek:' .. site)
local aside = 0
for _, kind in ipairs(kinds) do
    aside = aside + redis.call('ZCARD', P .. ':aside:' .. site .. ':' .. kind)
end
if (idle and (aside == 0 or ARGV[6] == '1')) or ARGV[5] == '1' then
    redis.call('HSET', P .. ':done', site, status)
    redis.call('LREM', P .. ':todo', 0, site)
    redis.call('DEL', P .. ':q:' .. site, P .. ':req:' .. site, P .. ':seen:' .. site,
        P .. ':busy:' .. site, P .. ':seq:' .. site, P .. ':found:' .. site, P .. ':asidek:' .. site)
    for _, kind in ipairs(kinds) do
        redis.call('DEL', P .. ':aside:' .. site .. ':' .. kind, P .. ':asidel:' .. site .. ':' .. kind)
    end
    done = 1
end
local group = redis.call('HGET', P .. ':group', site)
local lease = P .. ':lease:' .. group
if redis.call('GET', lease) == worker then
    redis.call('DEL', lease)
end
redis.call('SREM', P .. ':held:' .. worker, group)
return done
"""

# ARGV: P, worker, site, parent fp ('' for none), found (1: the site's discovery has found
# report items), then per request: fp, priority, dont_filter (0/1), data. Queues the requests
# not seen yet and, in the same step, acknowledges the parent (the request whose response or
# redirect yielded them). Returns how many were queued.
PUSH = """
local worker, site, parent = ARGV[2], ARGV[3], ARGV[4]
if ARGV[5] == '1' then
    redis.call('SET', P .. ':found:' .. site, '1')
end
local queued = 0
for i = 6, #ARGV, 4 do
    local fp = ARGV[i]
    local fresh = true
    if ARGV[i + 2] == '1' then  -- allowed again: a key of its own, the seen-set untouched
        fp = fp .. ':' .. redis.call('INCR', P .. ':seq:' .. site)
    else
        fresh = redis.call('SADD', P .. ':seen:' .. site, fp) == 1
    end
    if fresh then
        local seq = redis.call('INCR', P .. ':seq:' .. site)
        redis.call('ZADD', P .. ':q:' .. site, -tonumber(ARGV[i + 1]) * 1e10 + seq, fp)
        redis.call('HSET', P .. ':req:' .. site, fp, ARGV[i + 3])
        queued = queued + 1
    end
end
if parent ~= '' then
    ack(worker, site, parent)
end
return queued
"""

# ARGV: P, site, then per link: kind, url, score, data (JSON: [score, text, referer, depth]).
# Sets the links aside; a link met before gets only a better score (and a new place in the
# order met). Returns, per link, 1 when it is new.
ASIDE_PUSH = """
local site = ARGV[2]
local fresh = {}
for i = 3, #ARGV, 4 do
    local kind, url, score = ARGV[i], ARGV[i + 1], tonumber(ARGV[i + 2])
    local data = P .. ':asidel:' .. site .. ':' .. kind
    local known = redis.call('HGET', data, url)
    if not known or cjson.decode(known)[1] < score then
        local seq = redis.call('INCR', P .. ':seq:' .. site)
        redis.call('ZADD', P .. ':aside:' .. site .. ':' .. kind, -score * 1e10 + seq, url)
        redis.call('HSET', data, url, ARGV[i + 3])
        redis.call('SADD', P .. ':asidek:' .. site, kind)
    end
    table.insert(fresh, known and 0 or 1)
end
return fresh
"""

# ARGV: P, site, kind. Takes out the best link of ``kind`` set aside (best score, then the
# first met). Returns {url, data} or nothing.
ASIDE_POP = """
local site, kind = ARGV[2], ARGV[3]
local item = redis.call('ZPOPMIN', P .. ':aside:' .. site .. ':' .. kind)
if #item == 0 then
    return false
end
local data = P .. ':asidel:' .. site .. ':' .. kind
local link = redis.call('HGET', data, item[1])
redis.call('HDEL', data, item[1])
return {item[1], link}
"""

# ARGV: P, worker, site. Moves the site's first request into the worker's in-progress hash.
# Returns {fp, data} or nothing.
POP = """
local worker, site = ARGV[2], ARGV[3]
local item = redis.call('ZPOPMIN', P .. ':q:' .. site)
if #item == 0 then
    return false
end
redis.call('HSET', P .. ':wip:' .. worker, site .. ' ' .. item[1], item[2])
redis.call('INCR', P .. ':busy:' .. site)
return {item[1], redis.call('HGET', P .. ':req:' .. site, item[1])}
"""

# ARGV: P, worker, ttl ms. Refreshes the worker's heartbeat; returns 0 when the worker was
# declared dead meanwhile (its work has gone to others: it must stop).
HEARTBEAT = """
local worker = ARGV[2]
if redis.call('SISMEMBER', P .. ':workers', worker) == 0 then
    return 0
end
redis.call('SET', P .. ':alive:' .. worker, '1', 'PX', ARGV[3])
return 1
"""

# ARGV: P, worker, ttl ms. Registers a new worker.
REGISTER = """
redis.call('SADD', P .. ':workers', ARGV[2])
redis.call('SET', P .. ':alive:' .. ARGV[2], '1', 'PX', ARGV[3])
return 1
"""

# ARGV: P, worker (leaving: '' to only reap). Workers whose heartbeat has expired (and the
# leaving one) lose their leases; their requests in progress go back to their queues.
# Returns the names of the workers reaped.
REAP = """
local reaped = {}
for _, w in ipairs(redis.call('SMEMBERS', P .. ':workers')) do
    if w == ARGV[2] or redis.call('EXISTS', P .. ':alive:' .. w) == 0 then
        requeue(w, '')
        for _, group in ipairs(redis.call('SMEMBERS', P .. ':held:' .. w)) do
            if redis.call('GET', P .. ':lease:' .. group) == w then
                redis.call('DEL', P .. ':lease:' .. group)
            end
        end
        redis.call('DEL', P .. ':held:' .. w, P .. ':wip:' .. w, P .. ':alive:' .. w)
        redis.call('SREM', P .. ':workers', w)
        table.insert(reaped, w)
    end
end
return reaped
"""

# ARGV: P, counter key, minimum. A shard number never handed out before and above
# ``minimum`` (the largest one a data dir's ids already use): the counter outlives crawls.
SHARD = """
local n = redis.call('INCR', ARGV[2])
if n <= tonumber(ARGV[3]) then
    n = tonumber(ARGV[3]) + 1
    redis.call('SET', ARGV[2], n)
end
return n
"""

SCRIPTS = {
    "seed": SEED,
    "lease": LEASE,
    "release": RELEASE,
    "push": PUSH,
    "pop": POP,
    "aside_push": ASIDE_PUSH,
    "aside_pop": ASIDE_POP,
    "heartbeat": HEARTBEAT,
    "register": REGISTER,
    "reap": REAP,
    "shard": SHARD,
}


def script_source(name: str) -> str:
    """The full source of script ``name`` (with the shared helpers).

    >>> "ZPOPMIN" in script_source("pop")
    True
    """
    return _COMMON + SCRIPTS[name]

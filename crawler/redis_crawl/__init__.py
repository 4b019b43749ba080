"""One crawl over many workers and machines, its frontier in Redis (built on scrapy-redis).

* :mod:`.scripts` — the Lua scripts: every change of shared state is one atomic script.
* :mod:`.shared` — :class:`SharedCrawl`, this worker's handle on the shared crawl (seed,
  leases, reliable pop and acknowledge, heartbeats, reaping dead workers), with retries.
* :mod:`.scheduler` — the Scrapy scheduler, queue, dupefilter and done-middleware, subclassed
  from scrapy-redis: per-site keys, the crawler's fingerprinter, nothing ever flushed.
* :mod:`.aside` — :class:`RedisAside`, the links discovery sets aside, shared by the workers.
* :mod:`.source` — :class:`RedisSiteSource`, the pool's ``SiteSource`` over the shared crawl.

Redis data (prefix ``P``, default ``nianbao``), all per crawl:

=====================  ======================================================================
``P:run``              hash: run_id, crawl_key, sites digest (written once, by the first worker)
``P:sites``            hash: site name → the site's fields (JSON); ``P:group`` site → server group
``P:todo``             list of the sites not done yet; ``P:done`` hash: site → final status
``P:lease:G``          the worker crawling server group G (no TTL: freed by the holder or a reaper,
                       so a group is never free while a dead holder's requests are not requeued)
``P:held:W``           the groups worker W holds
``P:q:S`` ``P:req:S``  site S's queue (zset of fingerprints by priority, then order) and requests
``P:seen:S``           site S's seen-set; ``P:busy:S`` how many of its requests are in progress
``P:aside:S:K``        links of kind K (medium, weak) site S's discovery set aside (zset by best
                       score, then order met); ``P:asidel:S:K`` their fields; ``P:asidek:S`` the kinds
``P:found:S``          set once site S's discovery has found report items
``P:wip:W``            hash: "site fp" → score of each request worker W popped and not yet acked
``P:workers``          set of workers; ``P:alive:W`` W's heartbeat (expires after the TTL)
``nianbao-shards``     the last shard number handed out (in no crawl's keys: numbers never repeat)
=====================  ======================================================================
"""

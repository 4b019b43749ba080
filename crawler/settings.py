"""Scrapy settings for nianbao: polite by default, every response archived.

Override any of these per run with ``nianbao crawl -s NAME=VALUE`` (or ``scrapy crawl … -s``).
"""

from crawler.identity import contact_from_environment, user_agent
from crawler.render import launch_options

BOT_NAME = "nianbao"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

# -- nianbao ---------------------------------------------------------------------------
NIANBAO_DATA_DIR = "data"  # object store and nianbao.db
NIANBAO_SITES_FILE = None  # None: the bundled sites.yaml
NIANBAO_RUN_ID = None  # set by `nianbao crawl`; a bare `scrapy crawl` opens its own run
# The operator's contact (URL or e-mail), sent in the User-Agent: crawler/identity.py.
# `nianbao crawl` requires one for a live crawl (--contact, NIANBAO_CONTACT, config file).
NIANBAO_CONTACT = contact_from_environment()  # the environment, else the config file
NIANBAO_RECORD = None  # WARC file to record every exchange into (a cassette)
NIANBAO_REPLAY: list[str] = []  # WARC cassettes to answer every request from (no network)
NIANBAO_FSYNC = True
NIANBAO_REVALIDATE_FILES = False  # True: also revalidate archived attachments
NIANBAO_DISCOVERY_BUDGET = 300  # pages a site's discovery may try (home, sections, columns; not paging)

# -- politeness --------------------------------------------------------------------------
USER_AGENT = user_agent(NIANBAO_CONTACT)
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 16
# Scrapy starts this many tasks for the output of every response (default 100); the spider
# yields requests only, each scheduled at once, so a few are plenty.
CONCURRENT_ITEMS = 4
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 1.0
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
COOKIES_ENABLED = False

# -- robustness ----------------------------------------------------------------------------
DOWNLOAD_TIMEOUT = 60
DOWNLOAD_MAXSIZE = 200 * 1024 * 1024  # a bigger body is dropped and recorded as a problem
DOWNLOAD_WARNSIZE = 50 * 1024 * 1024
# A body past this goes to a temp file, not memory; compressed bodies inflate to at most
# NIANBAO_DECOMPRESSED_MAXSIZE (crawler/middlewares/bodies.py).
NIANBAO_STREAM_THRESHOLD = 8 * 1024 * 1024
NIANBAO_DECOMPRESSED_MAXSIZE = 64 * 1024 * 1024
RETRY_ENABLED = True
RETRY_TIMES = 2
DEPTH_LIMIT = 12  # steps into the site; further pages of a list do not count (middlewares/depth.py)
NIANBAO_PAGE_HOPS_LIMIT = 1000  # …they are bounded by this many pages in a row instead
REDIRECT_MAX_TIMES = 10
# A bounded crawl (crawler/middlewares/bounds.py): requests per site and run (0: no budget), and
# how many URLs of one pattern may link on to each other before it counts as a crawler trap.
NIANBAO_MAX_REQUESTS_PER_SITE = 10_000
NIANBAO_TRAP_CHAIN = 200
NIANBAO_RETRY_AFTER_MAX = 120  # seconds: a longer Retry-After is a "retry later" problem, not retried
HTTPERROR_ALLOW_ALL = False
REFERER_ENABLED = True
TELNETCONSOLE_ENABLED = False
LOG_LEVEL = "INFO"
REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"

DOWNLOADER_MIDDLEWARES = {
    # Close to the engine: sees the final response after redirects and retries.
    "crawler.middlewares.archive.ArchiveMiddleware": 60,
    # Just before it: a probed download is archived as an attachment only if it is a document.
    "crawler.discovery.DiscoveryMiddleware": 65,
    # Revalidates what the archive holds; a 304 comes back as the archived page.
    "crawler.middlewares.conditional.ConditionalRequestMiddleware": 70,
    # The request budget per site and crawler-trap detection: counts what goes to the network.
    "crawler.middlewares.bounds.CrawlBounds": 90,
    # Raw responses, decompressed (590) but before MetaRefresh (580) and Retry (550) act on
    # them: an anti-bot challenge marks the site blocked instead of being retried.
    "crawler.middlewares.antibot.AntiBotMiddleware": 585,
    # Big bodies wait on disk; gzip/deflate/br inflated with a size limit (before Scrapy's at 590).
    "crawler.middlewares.bodies.BodiesMiddleware": 595,
    # Waits out a 429/503's Retry-After (up to NIANBAO_RETRY_AFTER_MAX) before RetryMiddleware (550).
    "crawler.middlewares.retryafter.RetryAfterMiddleware": 560,
    # Sees each 3xx before RedirectMiddleware (600): a loop, too many hops or an off-site
    # redirect becomes a problems row; so does every other request Scrapy drops.
    "crawler.middlewares.dropped.DroppedRequests": 601,
    # Close to the wire: sees every hop, bodies still compressed, as a WARC wants them.
    "crawler.middlewares.cassette.WarcRecorderMiddleware": 990,
}
# A kill-safe frontier and seen-set in DATA/frontier/<site>.sqlite (crawler/frontier.py).
SCHEDULER = "crawler.frontier.SqliteFrontier"
SPIDER_MIDDLEWARES = {
    # Next to the engine: a request is done only after all it yielded has been scheduled.
    "crawler.frontier.FrontierDoneMiddleware": 10,
    # Scrapy's depth, except that the pages of a paged list keep their listing's depth.
    "scrapy.spidermiddlewares.depth.DepthMiddleware": None,
    "crawler.middlewares.depth.PagingDepthMiddleware": 900,
}
EXTENSIONS = {
    "crawler.extensions.SiteHealth": 500,
    "crawler.scrapystats.KeepScrapyStats": 505,  # Scrapy's stats, with the run and site
    # The startup objects are never garbage: the cyclic collector stops walking them.
    "crawler.gc_freeze.FreezeStartupObjects": 510,
}

# -- browser rendering (crawler/render.py): one browser per process, started on first use --------
DOWNLOAD_HANDLERS = {
    "http": "crawler.render.LazyRenderingDownloadHandler",
    "https": "crawler.render.LazyRenderingDownloadHandler",
}
PLAYWRIGHT_LAUNCH_OPTIONS = launch_options()
NIANBAO_RENDER_PAGES = 4  # pages open at once in the shared browser; more renders queue
NIANBAO_RENDER_TIMEOUT = 30  # seconds per render, counted from when its page opens
NIANBAO_RENDER_QUIET_MS = 500  # a page is ready when no XHR/fetch ran for this long

TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
FEED_EXPORT_ENCODING = "utf-8"

# -- one crawl over many workers (`nianbao crawl --redis URL`, crawler/redis_crawl/) -----------
NIANBAO_REDIS_PREFIX = "nianbao"  # the crawl's name in Redis: a new name starts a new crawl
NIANBAO_REDIS_TTL = 30.0  # seconds without a heartbeat before a worker's work goes to others
NIANBAO_REDIS_RETRY = 60.0  # seconds of retrying an unreachable Redis before the worker stops

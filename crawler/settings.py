"""Scrapy settings for nianbao: polite by default, every response archived.

Override any of these per run with ``nianbao crawl -s NAME=VALUE`` (or ``scrapy crawl … -s``).
"""

from crawler.render import launch_options
from nianbao import __version__

BOT_NAME = "nianbao"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

# -- nianbao ---------------------------------------------------------------------------
NIANBAO_DATA_DIR = "data"  # object store and nianbao.db
NIANBAO_SITES_FILE = None  # None: the bundled sites.yaml
NIANBAO_RUN_ID = None  # set by `nianbao crawl`; a bare `scrapy crawl` opens its own run
NIANBAO_CONTACT_URL = "https://github.com/nianbao/nianbao"
NIANBAO_RECORD = None  # WARC file to record every exchange into (a cassette)
NIANBAO_REPLAY: list[str] = []  # WARC cassettes to answer every request from (no network)
NIANBAO_FSYNC = True
NIANBAO_REVALIDATE_FILES = False  # True: also revalidate archived attachments
NIANBAO_DISCOVERY_BUDGET = 300  # pages a site's discovery may try (home, sections, columns; not paging)

# -- politeness --------------------------------------------------------------------------
USER_AGENT = (
    f"nianbao/{__version__} (archive of government information-disclosure annual reports; "
    f"+{NIANBAO_CONTACT_URL})"
)
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
RETRY_ENABLED = True
RETRY_TIMES = 2
DEPTH_LIMIT = 12  # steps into the site; further pages of a list do not count (middlewares/depth.py)
NIANBAO_PAGE_HOPS_LIMIT = 1000  # …they are bounded by this many pages in a row instead
REDIRECT_MAX_TIMES = 10
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
    # Raw responses, decompressed (590) but before MetaRefresh (580) and Retry (550) act on
    # them: an anti-bot challenge marks the site blocked instead of being retried.
    "crawler.middlewares.antibot.AntiBotMiddleware": 585,
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
    # The startup objects are never garbage: the cyclic collector stops walking them.
    "crawler.gc_freeze.FreezeStartupObjects": 510,
}

# -- browser rendering (crawler/render.py): started only for the first rendered request ---------
DOWNLOAD_HANDLERS = {
    "http": "crawler.render.LazyRenderingDownloadHandler",
    "https": "crawler.render.LazyRenderingDownloadHandler",
}
PLAYWRIGHT_BROWSER_TYPE = "chromium"
PLAYWRIGHT_LAUNCH_OPTIONS = launch_options()
PLAYWRIGHT_MAX_PAGES_PER_CONTEXT = 2
PLAYWRIGHT_ABORT_REQUEST = "crawler.render.abort_heavy_resources"
PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT = 30_000

TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
FEED_EXPORT_ENCODING = "utf-8"

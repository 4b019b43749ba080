"""archive/ stores and remembers: the content-addressed object store and the database
(``Archive``, the only writer of the archive tables) and WARC, the interchange format
(``archive.warc``, which knows nothing of the crawler: the import side that needs the
spider's rules lives in ``nianbao/importwarc.py``)."""

import archive._lean  # noqa: F401  first: imports sqlite-utils without pandas (see there)
from archive.archive import DB_NAME, Archive, db_path, open_archive
from archive.store import ObjectStore

__all__ = ["DB_NAME", "Archive", "ObjectStore", "db_path", "open_archive"]

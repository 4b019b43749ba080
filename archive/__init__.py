"""archive/ stores and remembers: the content-addressed object store and the database."""

import archive._lean  # noqa: F401  first: imports sqlite-utils without pandas (see there)
from archive.archive import DB_NAME, Archive, db_path, open_archive
from archive.store import ObjectStore

__all__ = ["DB_NAME", "Archive", "ObjectStore", "db_path", "open_archive"]

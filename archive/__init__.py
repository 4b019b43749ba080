"""archive/ stores and remembers: the content-addressed object store and the database."""

from archive.archive import Archive, open_archive
from archive.store import ObjectStore

__all__ = ["Archive", "ObjectStore", "open_archive"]

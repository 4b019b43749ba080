"""A WARC record damaged in place (its length kept) is caught by its digests on import and in a
cassette: a problem naming the file, the record's offset and URI, the record left out, the
others kept. WARCs written by our own export, damaged at payload bytes; digests as warcio
writes them (sha1, base32) and as browsertrix does (sha256, hex); plain and gzipped."""

from __future__ import annotations

import gzip
import hashlib
import itertools
import random
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from archive import Archive
from crawler.middlewares.cassette import Cassette
from nianbao.export import export_warc
from nianbao.importwarc import import_warcs

SITES = ["huancui", "weihai"]  # an HTML report page with a .docx; a PDF report


@dataclass(frozen=True)
class Record:
    """One record of a plain WARC, where its bytes lie in the file."""

    offset: int  # where the record starts
    header_end: int  # where its block starts
    length: int  # the block's length
    kind: str
    uri: str

    @property
    def block(self) -> slice:
        return slice(self.header_end, self.header_end + self.length)


def _records(data: bytes) -> list[Record]:
    records, position = [], 0
    while (start := data.find(b"WARC/1.", position)) >= 0:
        header_end = data.index(b"\r\n\r\n", start) + 4
        header = data[start:header_end].decode("utf-8")
        length = int(re.search(r"(?im)^Content-Length: *(\d+)", header).group(1))
        kind = re.search(r"(?im)^WARC-Type: *(\S+)", header).group(1)
        uri = re.search(r"(?im)^WARC-Target-URI: *(\S+)", header)
        records.append(Record(start, header_end, length, kind, uri.group(1) if uri else ""))
        position = header_end + length
    return records


def _payload_start(data: bytes, record: Record) -> int:
    """Where the payload begins: after the HTTP headers of a response or request."""
    if record.kind in ("response", "request"):
        return data.index(b"\r\n\r\n", record.header_end) + 4
    return record.header_end


def _sha256_hex(data: bytes) -> bytes:
    """The same records with the digests browsertrix writes: sha256 in hex."""
    out, position = [], 0
    for record in _records(data):
        block = data[record.block]
        payload = data[_payload_start(data, record) : record.block.stop]
        header = data[record.offset : record.header_end]
        for name, body in ((b"WARC-Block-Digest", block), (b"WARC-Payload-Digest", payload)):
            line = name + b": sha256:" + hashlib.sha256(body).hexdigest().encode()
            if record.kind != "revisit":
                header = re.sub(rb"(?im)^" + name + rb":[^\r\n]*", line, header)
        out += [data[position : record.offset], header, block]
        position = record.block.stop
    out.append(data[position:])
    return b"".join(out)


def _damaged(data: bytes, seed: int) -> tuple[bytes, list[Record]]:
    """Every other response with a body, one byte of its payload changed (same length)."""
    rng = random.Random(seed)
    bodies = [r for r in _records(data) if r.kind == "response" and _payload_start(data, r) < r.block.stop]
    hit = bodies[seed % 2 :: 2]
    damaged = bytearray(data)
    for record in hit:
        at = rng.randrange(_payload_start(data, record), record.block.stop)
        damaged[at] ^= 0x01
    return bytes(damaged), hit


def _gzipped(data: bytes) -> bytes:
    """One gzip member per record, as WARC writers do."""
    starts = [r.offset for r in _records(data)] + [len(data)]
    return b"".join(gzip.compress(data[a:b]) for a, b in itertools.pairwise(starts))


@pytest.fixture(scope="module")
def plain_export(demo_archive: Path, tmp_path_factory: pytest.TempPathFactory) -> bytes:
    path = tmp_path_factory.mktemp("digests") / "export.warc"
    export_warc(Archive(demo_archive, fsync=False), path, sites=SITES)
    return path.read_bytes()


def _offsets_in(path: Path) -> dict[str, int]:
    """Response URI → the record's offset as a reader of ``path`` sees it (gzip: the member's)."""
    with path.open("rb") as stream:
        records = ArchiveIterator(stream)
        return {
            r.rec_headers.get_header("WARC-Target-URI"): records.offset
            for r in records
            if r.rec_type == "response"
        }


VARIANTS = [("sha1-base32", False), ("sha256-hex", False), ("sha1-base32", True)]


@pytest.mark.parametrize(("digests", "gz"), VARIANTS, ids=["sha1", "sha256-hex", "sha1-gzip"])
def test_a_record_damaged_in_place_is_left_out_with_a_problem_naming_it(
    plain_export: bytes, tmp_path: Path, digests: str, gz: bool
) -> None:
    original = plain_export if digests == "sha1-base32" else _sha256_hex(plain_export)
    damaged, hit = _damaged(original, seed=len(digests) + gz)
    assert hit and len(hit) < len([r for r in _records(original) if r.kind == "response"]), (
        "some damaged, some whole"
    )
    path = tmp_path / ("damaged.warc.gz" if gz else "damaged.warc")
    path.write_bytes(_gzipped(damaged) if gz else damaged)
    offsets = _offsets_in(path)

    archive = Archive(tmp_path / "data", fsync=False)
    result = import_warcs(archive, [path])
    problems = archive.db.execute("SELECT url, message FROM problems WHERE stage = 'import'").fetchall()
    expected = {
        (r.uri, f"{path.name}, record at byte {offsets[r.uri]} ({r.uri}): payload digest does not match")
        for r in hit
    }
    assert set(problems) == expected and len(problems) == len(hit)
    assert result.exit_code == 1

    fetched = {url for (url,) in archive.db.execute("SELECT final_url FROM fetches")}
    assert not fetched & {r.uri for r in hit}, "a damaged record is not imported"
    # Every other response came in, with the bytes it was exported with.
    whole = Archive(tmp_path / "whole", fsync=False)
    assert import_warcs(whole, [_write(tmp_path / "whole.warc", original)]).exit_code == 0
    kept = dict(whole.db.execute("SELECT final_url, sha256 FROM fetches").fetchall())
    got = dict(archive.db.execute("SELECT final_url, sha256 FROM fetches").fetchall())
    assert got == {url: sha for url, sha in kept.items() if url not in {r.uri for r in hit}}


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def test_a_cassette_record_damaged_in_place_answers_nothing(plain_export: bytes, tmp_path: Path) -> None:
    damaged, hit = _damaged(plain_export, seed=3)
    path = _write(tmp_path / "cassette.warc", damaged)
    cassette = Cassette([str(path)])
    assert {(e.offset, e.uri, e.reason) for e in cassette.errors} == {
        (r.offset, r.uri, "payload digest does not match") for r in hit
    }
    whole = Cassette([str(_write(tmp_path / "whole.warc", plain_export))])
    assert not whole.errors
    damaged_keys = {key for key in whole.responses if key[1] in {r.uri for r in hit}}
    assert damaged_keys and not damaged_keys & set(cassette.responses)
    for key in set(whole.responses) - damaged_keys:
        assert cassette.responses[key] == whole.responses[key]

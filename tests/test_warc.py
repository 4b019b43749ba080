"""archive/warc.py, the one home of WARC: reading recovers from damage.

Every variant is generated: WARC files of records with distinct random bodies, plain and
gzipped, cut short or overwritten at several places inside one record. What was before the
damage (and, for damage in the middle, after it) is read back byte for byte; the damage is
one error naming the file and the offset of the damaged record.
"""

from __future__ import annotations

import io
import random
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator
from warcio.warcwriter import WARCWriter

from archive.warc import WarcReadError, body_chunks, read_warc

RECORDS = 6
DAMAGED = 3  # the record the damage hits


def _write(path: Path, *, gz: bool) -> tuple[list[bytes], list[int]]:
    """A WARC of resource records with distinct bodies; returns the bodies and the offsets."""
    rnd = random.Random(path.name)
    bodies = [rnd.randbytes(2000 + 700 * i) for i in range(RECORDS)]
    with path.open("wb") as out:
        writer = WARCWriter(out, gzip=gz)
        for i, body in enumerate(bodies):
            record = writer.create_warc_record(
                f"http://x.test/{i}",
                "resource",
                payload=io.BytesIO(body),
                length=len(body),
                warc_content_type="application/octet-stream",
            )
            writer.write_record(record)
    with path.open("rb") as stream:
        records = ArchiveIterator(stream)
        offsets = [records.offset for _ in records]
    assert len(offsets) == RECORDS
    return bodies, offsets


def _read(path: Path) -> tuple[dict[str, bytes], list[WarcReadError]]:
    """Every record read whole (by URI), and the errors, as a consumer of read_warc sees them."""
    bodies: dict[str, bytes] = {}
    errors: list[WarcReadError] = []

    def keep(offset: int, record) -> None:  # type: ignore[no-untyped-def]
        body = b"".join(body_chunks(record, set()))  # raises on a body cut short
        bodies[record.rec_headers.get_header("WARC-Target-URI")] = body

    read_warc(path, keep, errors.append)
    return bodies, errors


def _expected(bodies: list[bytes], indices: list[int]) -> dict[str, bytes]:
    return {f"http://x.test/{i}": bodies[i] for i in indices}


def _assert_one_error_at(errors: list[WarcReadError], path: Path, offset: int) -> None:
    assert len(errors) == 1, [str(e) for e in errors]
    (error,) = errors
    assert (error.path, error.offset) == (path, offset)
    assert str(error).startswith(f"{path.name}, record at byte {offset}")
    assert error.reason and len(str(error)) < 300  # says why, in one line


@pytest.mark.parametrize("gz", [True, False], ids=["gz", "plain"])
def test_a_truncated_warc_is_read_up_to_the_last_whole_record(tmp_path: Path, gz: bool) -> None:
    whole = tmp_path / ("whole.warc.gz" if gz else "whole.warc")
    bodies, offsets = _write(whole, gz=gz)
    start, end = offsets[DAMAGED], offsets[DAMAGED + 1]
    data = whole.read_bytes()
    # Inside the version line, the header, just after it, mid-body, a byte before the end.
    cuts = [3, 12, 90, 180, 400, (end - start) // 2, end - start - 40]
    for cut in cuts:
        cut_file = tmp_path / f"cut-{cut}-{whole.name}"
        cut_file.write_bytes(data[: start + cut])
        read, errors = _read(cut_file)
        assert read == _expected(bodies, list(range(DAMAGED))), f"cut {cut} bytes into the record"
        _assert_one_error_at(errors, cut_file, start)


@pytest.mark.parametrize("gz", [True, False], ids=["gz", "plain"])
def test_a_corrupt_record_in_the_middle_is_skipped_and_the_rest_read(tmp_path: Path, gz: bool) -> None:
    whole = tmp_path / ("whole.warc.gz" if gz else "whole.warc")
    bodies, offsets = _write(whole, gz=gz)
    start, end = offsets[DAMAGED], offsets[DAMAGED + 1]
    data = whole.read_bytes()
    # The version line (plain) or gzip header, and, gzipped, anywhere in the compressed member.
    places = [0, 1, 40, 300, (end - start) // 2] if gz else [0, 1, 4]
    for place in places:
        bad = bytearray(data)
        bad[start + place : start + place + 8] = b"\x00garbage"
        bad_file = tmp_path / f"bad-{place}-{whole.name}"
        bad_file.write_bytes(bytes(bad))
        read, errors = _read(bad_file)
        others = [i for i in range(RECORDS) if i != DAMAGED]
        assert read == _expected(bodies, others), f"overwritten {place} bytes into the record"
        _assert_one_error_at(errors, bad_file, start)
        if gz:  # not the member's compressed bytes read as text
            assert "a damaged gzip member" in errors[0].reason


def test_a_record_its_consumer_fails_on_is_an_error_and_reading_goes_on(tmp_path: Path) -> None:
    path = tmp_path / "x.warc.gz"
    _, offsets = _write(path, gz=True)
    seen: list[int] = []
    errors: list[WarcReadError] = []

    def fussy(offset: int, record) -> None:  # type: ignore[no-untyped-def]
        if offset == offsets[DAMAGED]:
            raise ValueError("not what I wanted")
        seen.append(offset)

    assert read_warc(path, fussy, errors.append) == RECORDS
    assert seen == [o for o in offsets if o != offsets[DAMAGED]]
    where = f"x.warc.gz, record at byte {offsets[DAMAGED]} (http://x.test/{DAMAGED})"
    assert [str(e) for e in errors] == [f"{where}: ValueError: not what I wanted"]


def test_a_file_that_is_no_warc_is_one_error(tmp_path: Path) -> None:
    junk = tmp_path / "junk.warc.gz"
    junk.write_bytes(b"<html>not a WARC</html>\n" * 50)
    errors: list[WarcReadError] = []
    assert read_warc(junk, lambda offset, record: None, errors.append) == 0
    assert [str(e) for e in errors] == [
        "junk.warc.gz, record at byte 0: not a WARC file (it starts with b'<html>not a WARC')"
    ]


def test_a_cut_cassette_replays_what_it_holds_and_names_the_damage(tmp_path: Path) -> None:
    from scrapy import Request

    from archive.warc import write_exchange
    from crawler.middlewares.cassette import Cassette

    path = tmp_path / "cassette.warc.gz"
    rnd = random.Random(7)
    bodies = {f"http://x.test/{i}.html": rnd.randbytes(1500 + 300 * i) for i in range(RECORDS)}
    with path.open("wb") as out:
        writer = WARCWriter(out, gzip=True)
        for url, body in bodies.items():
            write_exchange(writer, url, "GET", [("Host", "x.test")], b"", 200, [("X-N", url[-6:])], body)
    with path.open("rb") as stream:
        records = ArchiveIterator(stream)
        starts = {
            r.rec_headers.get_header("WARC-Target-URI"): records.offset
            for r in records
            if r.rec_type == "response"
        }
    cut_at = starts["http://x.test/3.html"] + 500
    path.write_bytes(path.read_bytes()[:cut_at])

    cassette = Cassette([str(path)])
    answered = {url for url in bodies if cassette.lookup(Request(url))}
    assert answered == {f"http://x.test/{i}.html" for i in range(3)}
    assert all(cassette.lookup(Request(url)).body == bodies[url] for url in answered)  # type: ignore[union-attr]
    assert [(e.path.name, e.offset) for e in cassette.errors] == [
        ("cassette.warc.gz", starts["http://x.test/3.html"])
    ]

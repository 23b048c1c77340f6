"""The corrections store: rows kept exactly, paged, deleted; the schema migrated and versioned; WAL; many threads."""

from __future__ import annotations

import sqlite3
import threading

import numpy as np
import pytest

from digitlab.data.corrections import SCHEMA_VERSION, CorrectionStore
from digitlab.errors import DigitlabError


def _digit(value: int) -> np.ndarray:
    image = np.zeros((28, 28), dtype=np.uint8)
    image[4:24, 10 + value % 8] = 200 + value % 50
    return image


def test_a_row_comes_back_as_stored(tmp_path):
    store = CorrectionStore(tmp_path / "c.db")
    row = store.add(_digit(3), label=7, predicted=1, upload=b"\x89PNG raw", model="m")
    assert row["label"] == 7 and row["predicted"] == 1 and row["has_upload"] and row["model"] == "m"
    assert row["created"].endswith("+00:00")
    np.testing.assert_array_equal(store.pixels(row["id"]), _digit(3))
    assert store.upload(row["id"]) == b"\x89PNG raw"
    images, labels = store.examples()
    np.testing.assert_array_equal(images, _digit(3)[None])
    assert labels.tolist() == [7] and labels.dtype == np.int64


def test_paging_is_newest_first_and_counts_all(tmp_path):
    store = CorrectionStore(tmp_path / "c.db")
    ids = [store.add(_digit(i), label=i % 10)["id"] for i in range(7)]
    page, total = store.list(offset=2, limit=3)
    assert total == 7 and [r["id"] for r in page] == ids[::-1][2:5]
    assert store.list(offset=10, limit=3) == ([], 7)


def test_delete_one_and_all(tmp_path):
    store = CorrectionStore(tmp_path / "c.db")
    ids = [store.add(_digit(i), label=i)["id"] for i in range(4)]
    assert store.delete(ids[1]) and not store.delete(ids[1])
    assert store.pixels(ids[1]) is None
    assert store.delete_all() == 3 and store.count() == 0


@pytest.mark.parametrize("label,predicted", [(10, None), (-1, None), (3, 12)])
def test_labels_outside_0_9_are_refused(tmp_path, label, predicted):
    store = CorrectionStore(tmp_path / "c.db")
    with pytest.raises(DigitlabError):
        store.add(_digit(0), label=label, predicted=predicted)
    assert store.count() == 0


def test_schema_version_and_wal(tmp_path):
    CorrectionStore(tmp_path / "c.db")
    with sqlite3.connect(tmp_path / "c.db") as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_an_empty_file_is_migrated_and_a_newer_one_refused_untouched(tmp_path):
    (tmp_path / "empty.db").write_bytes(b"")
    assert CorrectionStore(tmp_path / "empty.db").count() == 0
    newer = tmp_path / "newer.db"
    CorrectionStore(newer).add(_digit(1), label=1)
    with sqlite3.connect(newer) as conn:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    before = newer.read_bytes()
    with pytest.raises(DigitlabError, match="newer"):
        CorrectionStore(newer)
    assert newer.read_bytes() == before


def test_someone_elses_database_is_refused_untouched(tmp_path):
    other = tmp_path / "notes.sqlite"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE notes (text TEXT)")
    before = other.read_bytes()
    with pytest.raises(DigitlabError, match="not a corrections database"):
        CorrectionStore(other)
    assert other.read_bytes() == before


def test_not_a_database_and_a_missing_one(tmp_path):
    (tmp_path / "notes.db").write_text("hello")
    with pytest.raises(DigitlabError, match="not an SQLite"):
        CorrectionStore(tmp_path / "notes.db")
    with pytest.raises(DigitlabError, match="no such"):
        CorrectionStore(tmp_path / "absent.db", create=False)


def test_many_threads_adding_at_once_lose_and_duplicate_nothing(tmp_path):
    store = CorrectionStore(tmp_path / "c.db")
    errors, ids = [], []
    lock = threading.Lock()

    def client(worker):
        try:
            for i in range(25):
                # each thread also opens its own store, as each web request may
                row = CorrectionStore(tmp_path / "c.db").add(_digit(worker * 100 + i), label=(worker + i) % 10)
                with lock:
                    ids.append(row["id"])
                store.list(limit=5)
        except Exception as exc:  # noqa: BLE001 -- any failure is the finding
            errors.append(exc)

    threads = [threading.Thread(target=client, args=(w,)) for w in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(ids) == len(set(ids)) == 200 == store.count()
    images, labels = store.examples()
    expected = sorted(((w + i) % 10, _digit(w * 100 + i).tobytes()) for w in range(8) for i in range(25))
    assert sorted(zip(labels.tolist(), (im.tobytes() for im in images))) == expected

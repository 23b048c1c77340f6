"""A person's corrections, kept in SQLite: the digits the web page read wrong, with the right label.

    store = CorrectionStore("corrections.db")         # created and migrated on open
    row = store.add(pixels, label=7, predicted=1, upload=png_bytes, model="torch-cnn-64-128-robust")
    rows, total = store.list(offset=0, limit=50)      # newest first, no image bytes
    store.delete(row["id"]); store.delete_all()
    images, labels = store.examples()                 # (n, H, W) uint8, (n,) int64: what `digitlab adapt` reads

Each row keeps the image as the model saw it (uint8 H x W, white on black),
the raw upload when there was one, the label, the model's answer (None for
"no digit") and the time (UTC, ISO 8601). The schema version is SQLite's
`user_version`; opening an older file applies the missing migrations in one
transaction, and a file from a newer digitlab is refused rather than damaged.
WAL mode lets readers go on while one writer writes. Every call opens its own
connection, so one store serves any number of threads; SQLite serialises the
writes and `timeout` is how long a writer waits for its turn.
"""

from __future__ import annotations

import contextlib
import sqlite3
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from digitlab.errors import DigitlabError

# MIGRATIONS[v] takes a database from user_version v to v + 1
MIGRATIONS = (
    """
    CREATE TABLE corrections (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        label INTEGER NOT NULL CHECK (label BETWEEN 0 AND 9),
        predicted INTEGER CHECK (predicted IS NULL OR predicted BETWEEN 0 AND 9),
        pixels BLOB NOT NULL,
        height INTEGER NOT NULL CHECK (height > 0),
        width INTEGER NOT NULL CHECK (width > 0),
        upload BLOB,
        model TEXT,
        created TEXT NOT NULL
    );
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)
COLUMNS = "id, label, predicted, height, width, upload IS NOT NULL AS has_upload, model, created"
SQLITE_HEADER = b"SQLite format 3\x00"


def is_database(path) -> bool:
    """Whether `path` is an SQLite file (by its 16-byte header)."""
    path = Path(path)
    if not path.is_file():
        return False
    with open(path, "rb") as f:
        return f.read(16) == SQLITE_HEADER


class CorrectionStore:
    """Corrections in the SQLite file at `path`; `create=False` refuses a file that is not there."""

    def __init__(self, path, create: bool = True, timeout: float = 30.0):
        self.path = Path(path)
        self.timeout = timeout
        if not create and not self.path.is_file():
            raise DigitlabError(f"{self.path}: no such corrections database")
        if self.path.exists() and not is_database(self.path) and self.path.stat().st_size > 0:
            raise DigitlabError(f"{self.path}: not an SQLite database")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._migrate()

    @contextlib.contextmanager
    def _connect(self, write: bool = True):
        """A connection in one transaction: committed on success, rolled back on any error, always closed."""
        try:
            conn = sqlite3.connect(self.path, timeout=self.timeout, isolation_level=None)
        except sqlite3.Error as exc:
            raise DigitlabError(f"{self.path}: cannot open the corrections database ({exc})") from exc
        try:
            conn.row_factory = sqlite3.Row
            # a writer takes the write lock at once: two writers never both read and then wait on each other
            conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            yield conn
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        finally:
            conn.close()

    def _migrate(self) -> None:
        try:
            with self._connect() as conn:
                version = conn.execute("PRAGMA user_version").fetchone()[0]
                if version > SCHEMA_VERSION:
                    raise DigitlabError(f"{self.path}: corrections database from a newer digitlab (schema "
                                        f"{version}, this one reads up to {SCHEMA_VERSION}); upgrade digitlab")
                others = conn.execute("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0]
                if version == 0 and others:  # someone else's database: not ours to add tables to
                    raise DigitlabError(f"{self.path}: an SQLite database, but not a corrections database")
                for step in MIGRATIONS[version:]:
                    for statement in filter(str.strip, step.split(";")):
                        conn.execute(statement)
                conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            with contextlib.closing(sqlite3.connect(self.path, timeout=self.timeout)) as conn:
                conn.execute("PRAGMA journal_mode = WAL")  # persistent: set once, outside a transaction
        except sqlite3.DatabaseError as exc:
            raise DigitlabError(f"{self.path}: not a usable corrections database ({exc})") from exc

    # -- rows -------------------------------------------------------------------

    def add(self, pixels, label: int, predicted: int | None = None, upload: bytes | None = None,
            model: str | None = None) -> dict:
        """Store one correction; `pixels` uint8 (H, W) as the model saw it. Returns the row (no image bytes)."""
        pixels = np.ascontiguousarray(pixels, dtype=np.uint8)
        if pixels.ndim != 2 or pixels.size == 0:
            raise DigitlabError(f"a correction's image must be (H, W), got shape {pixels.shape}")
        for name, value in (("label", label), ("predicted", predicted)):
            if value is not None and int(value) not in range(10):
                raise DigitlabError(f"{name} must be a digit 0-9, got {value!r}")
        created = datetime.now(timezone.utc).isoformat(timespec="milliseconds")
        with self._connect() as conn:
            cursor = conn.execute(
                "INSERT INTO corrections (label, predicted, pixels, height, width, upload, model, created) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (int(label), None if predicted is None else int(predicted), pixels.tobytes(), *pixels.shape,
                 None if upload is None else bytes(upload), model, created))
            row = conn.execute(f"SELECT {COLUMNS} FROM corrections WHERE id = ?", (cursor.lastrowid,)).fetchone()
        return _plain(row)

    def list(self, offset: int = 0, limit: int = 50) -> tuple[list[dict], int]:
        """(rows newest first, from `offset`, at most `limit`; the total count)."""
        with self._connect(write=False) as conn:
            rows = conn.execute(f"SELECT {COLUMNS} FROM corrections ORDER BY id DESC LIMIT ? OFFSET ?",
                                (int(limit), int(offset))).fetchall()
            total = conn.execute("SELECT COUNT(*) FROM corrections").fetchone()[0]
        return [_plain(row) for row in rows], int(total)

    def pixels(self, correction_id: int) -> np.ndarray | None:
        """The stored model input of one correction, uint8 (H, W), or None when there is no such row."""
        with self._connect(write=False) as conn:
            row = conn.execute("SELECT pixels, height, width FROM corrections WHERE id = ?",
                               (int(correction_id),)).fetchone()
        return None if row is None else _image(row)

    def upload(self, correction_id: int) -> bytes | None:
        with self._connect(write=False) as conn:
            row = conn.execute("SELECT upload FROM corrections WHERE id = ?", (int(correction_id),)).fetchone()
        return None if row is None or row[0] is None else bytes(row[0])

    def delete(self, correction_id: int) -> bool:
        """Remove one correction; False when there was none with that id."""
        with self._connect() as conn:
            return conn.execute("DELETE FROM corrections WHERE id = ?", (int(correction_id),)).rowcount > 0

    def delete_all(self) -> int:
        """Remove every correction; returns how many there were."""
        with self._connect() as conn:
            return conn.execute("DELETE FROM corrections").rowcount

    def count(self) -> int:
        with self._connect(write=False) as conn:
            return int(conn.execute("SELECT COUNT(*) FROM corrections").fetchone()[0])

    def examples(self, shape=None) -> tuple[np.ndarray, np.ndarray]:
        """Every correction as (images (n, H, W) uint8, labels (n,) int64), oldest first.

        `shape` (H, W) keeps only images of that size (a model reads one size).
        """
        with self._connect(write=False) as conn:
            rows = conn.execute("SELECT pixels, height, width, label FROM corrections ORDER BY id").fetchall()
        if shape is not None:
            rows = [row for row in rows if (row["height"], row["width"]) == tuple(shape)]
        if not rows:
            return np.zeros((0, *(shape or (28, 28))), dtype=np.uint8), np.zeros(0, dtype=np.int64)
        return np.stack([_image(row) for row in rows]), np.array([row["label"] for row in rows], dtype=np.int64)


def _image(row) -> np.ndarray:
    return np.frombuffer(row["pixels"], dtype=np.uint8).reshape(row["height"], row["width"]).copy()


def _plain(row) -> dict:
    out = dict(row)
    out["has_upload"] = bool(out["has_upload"])
    return out

"""The only code that talks to Chroma: one collection of products per embedding space, on disk or on a server. What
is persisted, and the one change signal every write moves (`ChromaProducts.news`); the in-memory copies that search it
are `search/store/replica.py`'s."""
from __future__ import annotations

import logging
import os
import shutil
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import chromadb
import numpy as np

from search.encoders.base import EncoderInfo
from search.store import crash_probe
from search.store.errors import StorageError, StoreError, StoreMismatchError
from search.store.writer_lock import writer_lock

COLLECTION_PREFIX = "products-"
PAGE = 5000  # rows read from Chroma at once
# HNSW's search breadth, fixed when a collection is created (Chroma 1.5.9 records a later change but the open index
# keeps the old value). bench/store.py: recall@10 0.86 -> 0.99 at 10,000 products and 0.50 -> 0.87 at 100,000
# against Chroma's default of 100, for 1-2 ms more per query.
EF_SEARCH = 400
MIN_FREE_BYTES = 32 * 2**20  # kept free on an embedded store's disk: Chroma's log and compaction need room
WRITE_OVERHEAD = 8  # a batch's vectors take about this many times their size on disk as Chroma writes them
# On a server, writers in several processes (on several machines) take their rows' revisions from their own clocks, so
# a reader fetches rows up to this much older than the latest it holds: clocks must agree within it (NTP does).
CLOCK_SKEW_NS = 10 * 10**9
log = logging.getLogger("search.store")


@dataclass
class Rows:
    """Products as the store keeps them: ids, their unit vectors and their metadata rows, in the same order."""

    ids: list[str]
    vectors: np.ndarray
    metadatas: list[dict[str, Any]]

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def latest_revision(self) -> int:
        return max((int(m.get("revision", 0)) for m in self.metadatas), default=0)


def connect(location: str | Path) -> chromadb.api.ClientAPI:
    """A Chroma client: `http://host:port` for a server, otherwise a directory for the embedded store."""
    text = str(location)
    if text.startswith(("http:/", "https:/")) and not text.startswith(("http://", "https://")):
        raise StoreError("server_address", text=text)
    settings = chromadb.Settings(anonymized_telemetry=False)
    if is_server(text):
        url = urlparse(text)
        return chromadb.HttpClient(host=url.hostname or "localhost", port=url.port or 8000,
                                   ssl=url.scheme == "https", settings=settings)
    Path(text).mkdir(parents=True, exist_ok=True)
    crash_probe.require_readable(text)
    try:
        return chromadb.PersistentClient(path=text, settings=settings)
    except Exception:
        _forget_systems(text)
        raise


def is_server(location: str | Path) -> bool:
    return str(location).startswith(("http://", "https://"))


def _forget_systems(path: str) -> None:
    """Chroma (1.5) caches a store's system before starting it, and keeps one that failed to start (a damaged
    database): the process's next client of that folder got it half made ("'RustBindingsAPI' object has no attribute
    'bindings'") instead of the database's own error."""
    from chromadb.api.shared_system_client import SharedSystemClient
    systems = SharedSystemClient._identifier_to_system
    for identifier in [key for key, system in systems.items() if system.settings.persist_directory == path]:
        try:
            systems.pop(identifier).stop()  # what it holds of the folder let go, or the next one waits for it
        except Exception as error:  # half made, it may not stop cleanly: it is gone from the cache either way
            log.debug("a failed Chroma system did not stop cleanly: %s", error)


def space_metadata(info: EncoderInfo, schema: int) -> dict[str, Any]:
    return {"encoder_model": info.model, "encoder_pretrained": info.pretrained or "", "dim": info.dim,
            "schema": schema}


def describe_space(metadata: dict[str, Any]) -> str:
    tag = metadata.get("encoder_pretrained")
    name = f"{metadata.get('encoder_model')} ({tag})" if tag else str(metadata.get("encoder_model"))
    return f"{name}, {metadata.get('dim')}-d"


def embedded_signal(location: str | Path) -> tuple:
    """An embedded store's change signal (see `ChromaProducts._signal`), read from its files alone."""
    database = Path(location) / "chroma.sqlite3"
    signal: list[tuple | None] = []
    for path in (database, database.with_name(database.name + "-wal")):
        try:
            with open(path, "rb") as handle:
                header = handle.read(28)
                stat = os.fstat(handle.fileno())
        except OSError:
            signal.append(None)
            continue
        signal.append((header[24:28], stat.st_size, stat.st_mtime_ns))
    return tuple(signal)


class ChromaProducts:
    """One Chroma collection of products, recording its embedding space: its rows written, read and deleted, and
    the signal every write moves."""

    def __init__(self, location: str | Path, info: EncoderInfo, name: str, *, schema: int, may_start: bool) -> None:
        """Open the collection `name`, or create it in the row layout `schema` (search/store/versions.py: an
        existing one records its own, and is upgraded there); `may_start`: it may be created in a store holding other
        models' products."""
        self.location = str(location)
        self.info = info
        self.name = name
        self.embedded = not is_server(self.location)
        self._client = connect(location)
        self._writer = writer_lock(self.location) if self.embedded else None  # a server orders its own writes
        existing = {c.name: c for c in self._client.list_collections()}
        if name in existing:
            self._check_space(existing[name].metadata or {})
            self._collection = self._client.get_collection(name)
        else:
            if not may_start:
                self._refuse_other_spaces(existing)
            self._collection = self._client.get_or_create_collection(  # another process may create it meanwhile
                name, configuration={"hnsw": {"space": "cosine", "ef_search": EF_SEARCH}},
                metadata=space_metadata(info, schema), embedding_function=None)
        self._written_signal: Any = None  # the change signal after this object's last write

    def _check_space(self, metadata: dict[str, Any]) -> None:
        wanted = space_metadata(self.info, schema=0)
        if any(metadata.get(k) != wanted[k] for k in ("encoder_model", "encoder_pretrained", "dim")):
            raise StoreMismatchError("collection_other_model", name=self.name, location=self.location,
                                     built=describe_space(metadata), wanted=describe_space(wanted))

    @property
    def schema(self) -> Any:
        """The row layout the collection records (an int, unless something else wrote it)."""
        return (self._collection.metadata or {}).get("schema")

    def _refuse_other_spaces(self, existing: dict[str, Any]) -> None:
        """A store holding only other models' products would answer every query with nothing: say so."""
        others = [c for name, c in existing.items() if name.startswith(COLLECTION_PREFIX) and c.count() > 0]
        if others:
            built = "; ".join(describe_space(c.metadata or {}) for c in others)
            raise StoreMismatchError("store_other_space", location=self.location, built=built,
                                     wanted=describe_space(space_metadata(self.info, schema=0)))

    # writing

    def writing(self):
        """Hold the store for writing (a whole indexing run, say); raises `StoreBusyError` at once if another
        process writes to this embedded store. Every write takes it anyway, for itself."""
        return self._writer.held() if self._writer is not None else nullcontext()

    @property
    def max_batch(self) -> int:
        """The most rows one write may take."""
        return self._client.get_max_batch_size()

    def unwritten(self):
        """A block in which no other process writes the store (True), or False at once when one is writing: an
        embedded store is then read again once it is done. A server orders its own reads and writes."""
        return self._writer.held_unless_busy() if self._writer is not None else nullcontext(True)

    def upsert(self, ids: Sequence[str], vectors: np.ndarray, metadatas: Sequence[dict[str, Any]]) -> Rows:
        """Insert or replace at most `max_batch` rows by id, stamped with their revision (when they were written, in
        nanoseconds, taken under the writer lock: a later write has a later revision, for readers in other processes
        to fetch only what changed); the rows as written."""
        with self.writing():
            revision = time.time_ns()
            rows = Rows(list(ids), np.asarray(vectors, dtype=np.float32),
                        [{**m, "revision": revision} for m in metadatas])
            self._room_for(rows.vectors)
            self._collection.upsert(ids=rows.ids, embeddings=rows.vectors, metadatas=rows.metadatas)
            self._signal_write()
        return rows

    def update_details(self, ids: Sequence[str], metadatas: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
        """Replace rows' metadata without touching their vectors; the metadata as written."""
        with self.writing():
            revision = time.time_ns()
            written = [{**m, "revision": revision} for m in metadatas]
            self._collection.update(ids=list(ids), metadatas=written)
            self._signal_write()
        return written

    def delete(self, ids: Sequence[str]) -> list[str]:
        """Delete rows by id; the ids that existed."""
        found = self._collection.get(ids=list(dict.fromkeys(ids)), include=[])["ids"]
        if found:
            with self.writing():
                self._collection.delete(ids=found)
                self._signal_write()
        return found

    def restore(self, rows: Rows) -> None:
        """Rows written back as they were kept (their fingerprints and revisions too): a backup, an upgrade."""
        with self.writing():
            self._collection.upsert(ids=rows.ids, embeddings=rows.vectors, metadatas=rows.metadatas)
            self._signal_write()

    def set_schema(self, schema: int) -> None:
        """The collection's recorded row layout, once its rows are written in it."""
        with self.writing():
            self._collection.modify(metadata={**self.space_metadata(), "schema": schema})
            self._signal_write()

    def drop(self) -> None:
        """The collection removed from the store, with every row and vector in it (a model no longer served)."""
        with self.writing():
            self._client.delete_collection(self.name)

    def _room_for(self, vectors: np.ndarray) -> None:
        """Refuses a write that would leave the embedded store's disk with less than MIN_FREE_BYTES: Chroma (1.5)
        waits for ever in an upsert once its disk is full, so the store is kept as it was before this batch."""
        if not self.embedded:
            return
        free = shutil.disk_usage(self.location).free
        if free < MIN_FREE_BYTES + WRITE_OVERHEAD * vectors.nbytes:
            raise StorageError("store_full", location=self.location,
                               detail=f"{free / 2**20:.0f} MB free, {MIN_FREE_BYTES / 2**20:.0f} MB kept free")

    # the change signal

    def news(self, seen: Any) -> Any:
        """The store's change signal when it moved since `seen`, else `seen`. When another process moved it, the
        embedded client is opened afresh: Chroma's keeps the vectors it loaded and cannot read those written
        since ("Error finding id")."""
        signal = self._signal()
        if signal != seen and self.embedded and signal != self._written_signal:
            self._reopen()
        return signal

    def _signal(self) -> Any:
        """What every write changes, cheap to read. Embedded: SQLite's file change counter (bytes 24-27 of the
        database's header, raised by every write transaction) with the file's size and time, and those of a
        write-ahead log if SQLite keeps one (microseconds). On a server: the revision each writer sets in the
        collection's metadata (about 1 ms)."""
        if not self.embedded:
            return (self._client.get_collection(self.name).metadata or {}).get("revision")
        return embedded_signal(self.location)

    def _signal_write(self) -> None:
        """After a write: note the signal it left, and on a server set it for the other processes."""
        if self.embedded:
            self._written_signal = self._signal()
            return
        self._written_signal = time.time_ns()
        self._collection.modify(metadata={**self.space_metadata(), "revision": self._written_signal})

    def _reopen(self) -> None:
        """A fresh client on the store. Chroma shares one client per folder within a process: forgetting them lets
        this one start afresh (clients already open keep theirs)."""
        self._client.clear_system_cache()
        self._client = connect(self.location)
        self._collection = self._client.get_collection(self.name)

    # reading

    def count(self) -> int:
        """How many rows the collection holds."""
        return self._collection.count()

    def count_where(self, where: dict[str, Any]) -> int:
        """How many rows pass `where`."""
        return len(self._collection.get(where=where, include=[])["ids"])

    def rows_of(self, ids: Sequence[str]) -> Rows:
        """These rows, whole, in the store's order (missing ids left out)."""
        got: Any = self._collection.get(ids=list(dict.fromkeys(ids)), include=["embeddings", "metadatas"])
        return Rows(list(got["ids"]), np.asarray(got["embeddings"], np.float32).reshape(len(got["ids"]), -1),
                    list(got["metadatas"]))

    def metadata_of(self, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        if not ids:
            return {}
        got: Any = self._collection.get(ids=list(dict.fromkeys(ids)), include=["metadatas"])  # Chroma refuses repeats
        return dict(zip(got["ids"], got["metadatas"]))

    def metadata_where(self, where: dict[str, Any]) -> list[dict[str, Any]]:
        """The metadata of the rows that pass `where`."""
        return list(self._collection.get(where=where, include=["metadatas"])["metadatas"])

    def vectors_of(self, ids: Sequence[str]) -> dict[str, np.ndarray]:
        if not ids:
            return {}
        got: Any = self._collection.get(ids=list(dict.fromkeys(ids)), include=["embeddings"])
        return {i: np.asarray(v, dtype=np.float32) for i, v in zip(got["ids"], got["embeddings"])}

    def pages(self, *, vectors: bool = True) -> Iterator[Rows]:
        """Every row, a page at a time (without their vectors, an empty array in their place). Each row is whole; a
        page read while another process writes holds what was written before it."""
        include = ["embeddings", "metadatas"] if vectors else ["metadatas"]
        for offset in range(0, self.count(), PAGE):
            page: Any = self._collection.get(include=include, limit=PAGE, offset=offset)
            found = (np.asarray(page["embeddings"], dtype=np.float32).reshape(len(page["ids"]), -1) if vectors
                     else np.zeros((len(page["ids"]), 0), np.float32))
            yield Rows(list(page["ids"]), found, list(page["metadatas"]))

    def all_ids(self) -> set[str]:
        """The ids, without their vectors or details, in one request (170-260 ms at 100,000 on a server, where pages
        of 5,000 took 1.1 s)."""
        return set(self._collection.get(include=[])["ids"])

    def written_since(self, revision: int, held: Callable[[list[str]], dict[str, Any]]) -> tuple[list[Rows], int]:
        """The rows of a later revision than `revision` whose revision differs from what `held` (ids to their
        revisions) says, and the latest revision seen: first the recent rows' details alone (on a server from
        CLOCK_SKEW_NS before, so mostly rows held already: after a bulk write, thousands), then the others whole."""
        since = revision - (0 if self.embedded else CLOCK_SKEW_NS)
        recent: Any = self._collection.get(where={"revision": {"$gt": since}}, include=["metadatas"])
        known = held(recent["ids"])
        newer = [i for i, m in zip(recent["ids"], recent["metadatas"]) if known.get(i) != m.get("revision")]
        latest = max([revision, *(int(m.get("revision", 0)) for m in recent["metadatas"])])
        return [self.rows_of(newer[start:start + PAGE]) for start in range(0, len(newer), PAGE)], latest

    def query(self, vectors: np.ndarray, top_k: int, where: dict | None = None,
              ) -> list[list[tuple[str, dict[str, Any], float]]]:
        """Chroma's own (approximate) index: each vector's nearest rows as (id, metadata, cosine similarity)."""
        found: Any = self._collection.query(query_embeddings=vectors, n_results=top_k, where=where,
                                            include=["metadatas", "distances"])
        return [[(i, m, 1.0 - float(d)) for i, m, d in zip(ids, metas, dists)]
                for ids, metas, dists in zip(found["ids"], found["metadatas"], found["distances"])]

    def nearest_distances(self, vectors: np.ndarray) -> list[float]:
        """For each vector, the cosine distance of the nearest row Chroma's own index finds (for `check`: it reads the
        vector files an in-memory search never touches)."""
        found: Any = self._collection.query(query_embeddings=vectors, n_results=1, include=["distances"])
        return [row[0] if row else float("inf") for row in found["distances"]]

    def space_metadata(self) -> dict[str, Any]:
        """The embedding space the collection records (model, weights, dimension, schema)."""
        return {k: v for k, v in (self._collection.metadata or {}).items() if k != "revision"}

    def other_spaces(self) -> list[str]:
        """The embedding spaces of the store's other product collections, for `stats`."""
        return [f"{c.name}: {describe_space(c.metadata or {})}, {c.count()} products"
                for c in self._client.list_collections() if c.name != self.name]


def read_a_little(location: str) -> None:
    """What search/store/crash_probe.py's child does: each collection's count, a page of its vectors and a query by
    them, the reads that crashed Chroma on garbled vector files."""
    client = chromadb.PersistentClient(path=location, settings=chromadb.Settings(anonymized_telemetry=False))
    for collection in client.list_collections():
        collection.count()
        found: Any = collection.get(limit=8, include=["embeddings"])
        if len(found["ids"]):
            collection.query(query_embeddings=found["embeddings"], n_results=10, include=[])


if __name__ == "__main__":
    try:
        read_a_little(sys.argv[1])
    except Exception:  # an error, not a crash: the process that asked words it as it words any
        pass

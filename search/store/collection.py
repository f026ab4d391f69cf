"""The only code that talks to Chroma: one collection per embedding space, on disk or on a server."""
from __future__ import annotations

import json
import logging
import os
import shutil
import threading
import time
import weakref
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

import chromadb
import numpy as np

from catalog.product import Product
from search.encoders.base import EncoderInfo
from search.ranking import Hit
from search.store import memory
from search.store.errors import (  # noqa: F401 (imported from here)
    StorageError,
    StoreBusyError,
    StoreError,
    StoreMismatchError,
)
from search.store.keyword_index import KeywordHit, KeywordIndex
from search.store.writer_lock import writer_lock

if TYPE_CHECKING:
    from search.store.exact import ExactIndex

SCHEMA_VERSION = 2  # 2: a `colour` field, so the page can filter by colour
COLLECTION_PREFIX = "products-"
_PAGE = 5000
# HNSW's search breadth, fixed when a collection is created (Chroma 1.5.9 records a later change but the open index
# keeps the old value). bench/store.py: recall@10 0.86 -> 0.99 at 10,000 products and 0.50 -> 0.87 at 100,000
# against Chroma's default of 100, for 1-2 ms more per query.
EF_SEARCH = 400
RECHECK_S = 5.0  # how often a store too large to hold asks the server's count, for its keyword index
MIN_FREE_BYTES = 32 * 2**20  # kept free on an embedded store's disk: Chroma's log and compaction need room
WRITE_OVERHEAD = 8  # a batch's vectors take about this many times their size on disk as Chroma writes them
SYNC_S = 0.5  # how often the in-memory copies ask whether another process wrote (a change is seen within about this)
# On a server, writers in several processes (on several machines) take their rows' revisions from their own clocks, so
# a reader fetches rows up to this much older than the latest it holds: clocks must agree within it (NTP does).
CLOCK_SKEW_NS = 10 * 10**9
log = logging.getLogger("search.store")
_UNCHECKED = object()


@dataclass(frozen=True)
class StoredItem:
    """What the store remembers of a product besides its vector: used to skip unchanged work."""

    product: Product
    fingerprint: str


def connect(location: str | Path) -> chromadb.api.ClientAPI:
    """A Chroma client: `http://host:port` for a server, otherwise a directory for the embedded store."""
    text = str(location)
    if text.startswith(("http:/", "https:/")) and not text.startswith(("http://", "https://")):
        raise StoreError("server_address", text=text)
    settings = chromadb.Settings(anonymized_telemetry=False)
    if text.startswith(("http://", "https://")):
        url = urlparse(text)
        return chromadb.HttpClient(host=url.hostname or "localhost", port=url.port or 8000,
                                   ssl=url.scheme == "https", settings=settings)
    Path(text).mkdir(parents=True, exist_ok=True)
    try:
        return chromadb.PersistentClient(path=text, settings=settings)
    except Exception:
        _forget_systems(text)
        raise


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


def _space_metadata(info: EncoderInfo) -> dict[str, Any]:
    return {"encoder_model": info.model, "encoder_pretrained": info.pretrained or "", "dim": info.dim,
            "schema": SCHEMA_VERSION}


def describe_space(metadata: dict[str, Any]) -> str:
    tag = metadata.get("encoder_pretrained")
    name = f"{metadata.get('encoder_model')} ({tag})" if tag else str(metadata.get("encoder_model"))
    return f"{name}, {metadata.get('dim')}-d"


class ProductStore:
    """Products with their vectors in one Chroma collection that records its embedding space."""

    def __init__(self, location: str | Path, info: EncoderInfo, collection: str | None = None, *,
                 for_indexing: bool = False, exact_limit: int | None = None) -> None:
        """Open this encoder's collection; `for_indexing` may start one beside other models' collections; up to
        `exact_limit` products (by default what this machine's memory holds: search/store/memory.py) a store is
        searched exactly, from memory (search/store/exact.py), embedded or on a server; beyond, by Chroma's index."""
        self.location = str(location)
        self.info = info
        self._client = connect(location)
        self.name = collection or COLLECTION_PREFIX + info.space_id
        existing = {c.name: c for c in self._client.list_collections()}
        if self.name in existing:
            self._check_space(existing[self.name].metadata or {})
        elif collection is None and not for_indexing:
            self._refuse_other_spaces(existing)
        self._collection = self._client.get_or_create_collection(
            self.name, configuration={"hnsw": {"space": "cosine", "ef_search": EF_SEARCH}},
            metadata=_space_metadata(info), embedding_function=None)
        self._embedded = not self.location.startswith(("http://", "https://"))
        self._writer = writer_lock(self.location) if self._embedded else None  # a server orders its own writes
        self._exact: ExactIndex | None = None
        self._exact_checked = 0.0
        self._exact_version: Any = _UNCHECKED  # the store's `_change_signal` when last checked
        self._following = False  # whether a thread keeps a server store's copies in step (`_follow`)
        self._starting = threading.Lock()
        self._exact_limit = memory.exact_limit(info.dim) if exact_limit is None else exact_limit
        self._exact_generation = 0  # how many times the exact index was loaded from the store
        self._exact_revision = 0  # the latest revision it took from the store (not its own writes: see _caught_up)
        self._written_version: Any = None  # the `_change_signal` after this object's last write
        self._keywords: KeywordIndex | None = None
        self._keywords_source: tuple = ()  # what the keyword index was built from: see `_keyword_index`

    def _check_space(self, metadata: dict[str, Any]) -> None:
        wanted = _space_metadata(self.info)
        if metadata.get("schema") != SCHEMA_VERSION:
            raise StoreMismatchError("schema_version", name=self.name, location=self.location,
                                     found=metadata.get("schema"), wanted=SCHEMA_VERSION)
        if any(metadata.get(k) != wanted[k] for k in ("encoder_model", "encoder_pretrained", "dim")):
            raise StoreMismatchError("collection_other_model", name=self.name, location=self.location,
                                     built=describe_space(metadata), wanted=describe_space(wanted))

    def _refuse_other_spaces(self, existing: dict[str, Any]) -> None:
        """A store holding only other models' products would answer every query with nothing: say so."""
        others = [c for name, c in existing.items() if name.startswith(COLLECTION_PREFIX) and c.count() > 0]
        if others:
            built = "; ".join(describe_space(c.metadata or {}) for c in others)
            raise StoreMismatchError("store_other_space", location=self.location, built=built,
                                     wanted=describe_space(_space_metadata(self.info)))

    def count(self) -> int:
        return self._collection.count()

    def _room_for(self, vectors: np.ndarray) -> None:
        """Refuses a write that would leave the embedded store's disk with less than MIN_FREE_BYTES: Chroma (1.5)
        waits for ever in an upsert once its disk is full, so the store is kept as it was before this batch."""
        if not self._embedded:
            return
        free = shutil.disk_usage(self.location).free
        if free < MIN_FREE_BYTES + WRITE_OVERHEAD * np.asarray(vectors).nbytes:
            raise StorageError("store_full", location=self.location,
                               detail=f"{free / 2**20:.0f} MB free, {MIN_FREE_BYTES / 2**20:.0f} MB kept free")

    def drop(self) -> None:
        """The collection removed from the store, with every product and vector in it (a model no longer served)."""
        with self.writing():
            self._client.delete_collection(self.name)

    def writing(self):
        """Hold the store for writing (a whole indexing run, say); raises `StoreBusyError` at once if another
        process writes to this embedded store. Every write takes it anyway, for itself."""
        return self._writer.held() if self._writer is not None else nullcontext()

    def upsert(self, products: Sequence[Product], vectors: np.ndarray, fingerprints: Sequence[str]) -> None:
        """Insert or replace products (by id) with their vectors, in batches the client accepts."""
        step = self._client.get_max_batch_size()
        with self.writing():
            for start in range(0, len(products), step):
                self._room_for(vectors[start:start + step])
                revision = time.time_ns()  # each batch its own: a reader may fetch the rows between two batches
                end = start + step
                ids = [p.id for p in products[start:end]]
                metadatas = [_to_metadata(p, f, revision) for p, f in zip(products[start:end],
                                                                            fingerprints[start:end])]
                embeddings = np.asarray(vectors[start:end], dtype=np.float32)
                self._collection.upsert(ids=ids, embeddings=embeddings, metadatas=metadatas)
                if self._exact is not None:
                    self._exact.upsert(ids, embeddings, metadatas)
                if self._keywords is not None:
                    self._keywords.upsert(ids, metadatas)
            self._signal_write()

    def update_metadata(self, products: Sequence[Product], fingerprints: Sequence[str]) -> None:
        """Replace products' details without touching their vectors."""
        if not products:
            return
        with self.writing():
            revision = time.time_ns()
            ids = [p.id for p in products]
            metadatas = [_to_metadata(p, f, revision) for p, f in zip(products, fingerprints)]
            self._collection.update(ids=ids, metadatas=metadatas)
            if self._exact is not None:
                self._exact.update_metadata(ids, metadatas)
            if self._keywords is not None:
                self._keywords.upsert(ids, metadatas)
            self._signal_write()

    def delete(self, ids: Sequence[str]) -> int:
        """Delete products by id; return how many existed."""
        if not ids:
            return 0
        found = self._collection.get(ids=list(dict.fromkeys(ids)), include=[])["ids"]
        if found:
            with self.writing():
                self._collection.delete(ids=found)
                self._signal_write()
            if self._exact is not None:
                self._exact.delete(found)
            if self._keywords is not None:
                self._keywords.delete(found)
        return len(found)

    def stored(self, ids: Sequence[str]) -> dict[str, StoredItem]:
        """What the store holds for these ids (missing ids are absent from the result)."""
        if not ids:
            return {}
        got: Any = self._collection.get(ids=list(dict.fromkeys(ids)), include=["metadatas"])  # Chroma refuses repeats
        return {i: StoredItem(_to_product(i, m), str(m.get("fingerprint", "")))
                for i, m in zip(got["ids"], got["metadatas"])}

    def vector(self, product_id: str) -> np.ndarray | None:
        return self.vectors([product_id]).get(product_id)

    def query(self, vector: np.ndarray, top_k: int, where: dict | None = None) -> list[Hit]:
        """The nearest products to a unit vector, best first, score = cosine similarity."""
        return self.query_many([vector], top_k, where)[0]

    def ids(self) -> Iterator[str]:
        """Every stored product id, page by page."""
        for offset in range(0, self.count(), _PAGE):
            yield from self._collection.get(include=[], limit=_PAGE, offset=offset)["ids"]

    def vectors(self, ids: Sequence[str]) -> dict[str, np.ndarray]:
        if not ids:
            return {}
        if self._exact is not None:
            return self._exact.vectors_of(ids)
        got: Any = self._collection.get(ids=list(ids), include=["embeddings"])
        return {i: np.asarray(v, dtype=np.float32) for i, v in zip(got["ids"], got["embeddings"])}

    def query_many(self, vectors: Sequence[np.ndarray], top_k: int, where: dict | None = None) -> list[list[Hit]]:
        """The nearest products to each of several unit vectors: exactly from memory up to the store's exact limit,
        otherwise from Chroma's approximate index."""
        exact = self._exact_index()
        if len(vectors) == 0 or (len(exact) if exact is not None else self.count()) == 0:
            return [[] for _ in vectors]
        if exact is not None:
            return [[Hit(_to_product(i, metadata), score) for i, metadata, score in found]
                    for found in exact.search_many(np.asarray(vectors, np.float32), top_k, where)]
        result: Any = self._collection.query(query_embeddings=np.asarray(vectors, np.float32), n_results=top_k,
                                        where=where, include=["metadatas", "distances"])
        return [[Hit(_to_product(i, m), 1.0 - float(d)) for i, m, d in zip(ids, metas, dists)]
                for ids, metas, dists in zip(result["ids"], result["metadatas"], result["distances"])]

    def _exact_index(self) -> ExactIndex | None:
        """The in-memory copy, loaded on first use and kept in step with what other processes write (`_synced`):
        an embedded store checks when asked (its change signal takes microseconds to read); on a server a thread of
        its own follows the store, so that no query waits for the network."""
        if self._embedded:
            return self._synced()
        with self._starting:
            if not self._following:
                self._synced()
                self._following = True
                _follow(self)
        return self._exact

    def _synced(self) -> ExactIndex | None:
        """At most every SYNC_S seconds, the store's change signal; when it moved, the rows written since
        (`_caught_up`), or all of them again when those do not account for the store's count."""
        now = time.monotonic()
        if self._exact_version is not _UNCHECKED and now < self._exact_checked + SYNC_S:
            return self._exact  # None for a store too large to hold: Chroma's index answers
        self._exact_checked = now
        version = self._change_signal()  # read before the count: a write meanwhile is seen next time
        if version == self._exact_version:
            return self._exact
        first_check, self._exact_version = self._exact_version is _UNCHECKED, version
        if self._embedded and version != self._written_version:
            self._reopen()  # another process wrote
        count = self.count()
        if count > self._exact_limit:
            if first_check or self._exact is not None:  # said once, not again on every write
                log.warning("%s holds %d products, more than the %d its exact copy may hold "
                            "(PRODUCT_SEARCH_EXACT_LIMIT; by default what half this machine's memory holds): Chroma's "
                            "own index answers", self.name, count, self._exact_limit)
            self._exact = None
            return None
        if self._exact is None or not self._caught_up(count):
            from search.store.exact import ExactIndex  # its scan brings torch: `stats` and `delete` never get here
            exact = ExactIndex(self.info.dim)
            self._exact_revision = self._copy_rows(exact, expected=count)
            self._exact = exact
            self._exact_generation += 1
        return self._exact

    def _change_signal(self) -> Any:
        """What every write changes, cheap to read: an embedded store's database file header (microseconds); on a
        server, the revision each writer sets in the collection's metadata (about 1 ms)."""
        if self._embedded:
            return self._disk_version()
        return (self._client.get_collection(self.name).metadata or {}).get("revision")

    def _signal_write(self) -> None:
        """After a write: note the change signal it left, and on a server set it for the other processes."""
        if self._embedded:
            self._written_version = self._disk_version()
            return
        self._written_version = time.time_ns()
        self._collection.modify(metadata={**_space_metadata(self.info), "revision": self._written_version})

    def _reopen(self) -> None:
        """A fresh client on the store. Chroma's embedded client keeps the vectors it has loaded and cannot read
        those another process wrote since ("Error finding id"); a new client reads them. Chroma shares one client
        per folder within a process: forgetting them lets this one start afresh (clients already open keep theirs)."""
        self._client.clear_system_cache()
        self._client = connect(self.location)
        self._collection = self._client.get_collection(self.name)

    def _caught_up(self, count: int) -> bool:
        """Another process wrote: the in-memory copies take the rows of a later revision than they hold (a few
        products changed in place, say) and forget the ids the store no longer holds; False when that does not
        bring them to the store's count, and they must be loaded again."""
        assert self._exact is not None
        changed = self._written_elsewhere(self._exact)
        if changed.ids:
            self._exact.upsert(changed.ids, np.asarray(changed.vectors, np.float32), changed.metadatas)
            if self._keywords is not None:
                self._keywords.upsert(changed.ids, changed.metadatas)
        if len(self._exact) != count:
            self._forget_deleted()
        return len(self._exact) == count

    def _written_elsewhere(self, exact: ExactIndex) -> _RowsSeen:
        """The rows of a later revision than the copy holds, with their vectors: first the recent rows' details
        alone (on a server from CLOCK_SKEW_NS before the latest revision held, so mostly rows held already: after a
        bulk write, thousands), then the vectors of those whose revision the copy does not hold."""
        since = self._exact_revision - (0 if self._embedded else CLOCK_SKEW_NS)
        recent: Any = self._collection.get(where={"revision": {"$gt": since}}, include=["metadatas"])
        held = exact.metadata_of(recent["ids"])
        newer = [i for i, m in zip(recent["ids"], recent["metadatas"])
                 if held.get(i, {}).get("revision") != m.get("revision")]
        self._exact_revision = max([self._exact_revision, *(int(m.get("revision", 0)) for m in recent["metadatas"])])
        rows = _RowsSeen()
        for start in range(0, len(newer), _PAGE):
            page: Any = self._collection.get(ids=newer[start:start + _PAGE], include=["embeddings", "metadatas"])
            rows.upsert(page["ids"], np.asarray(page["embeddings"], np.float32), page["metadatas"])
        return rows

    def _forget_deleted(self) -> None:
        """Drop from the in-memory copies the products another process deleted: the store's ids are read, without
        their vectors or details, in one request (170-260 ms at 100,000 on a server, where pages of 5,000 took
        1.1 s), and compared."""
        assert self._exact is not None
        held = set(self._collection.get(include=[])["ids"])
        gone = [product_id for product_id in list(self._exact.ids) if product_id not in held]
        self._exact.delete(gone)
        if self._keywords is not None:
            self._keywords.delete(gone)

    def _copy_rows(self, into: Any, expected: int) -> int:
        """Every row upserted `into` an index, page by page; the latest revision seen. Loading more than a page
        says how far it got, for the log of a start on a large store."""
        latest, offset = 0, 0
        while True:
            page: Any = self._collection.get(include=["embeddings", "metadatas"], limit=_PAGE, offset=offset)
            if not page["ids"]:
                return latest
            into.upsert(page["ids"], np.asarray(page["embeddings"], np.float32), page["metadatas"])
            latest = max([latest, *(int(m.get("revision", 0)) for m in page["metadatas"])])
            offset += _PAGE
            if expected > _PAGE:
                log.info("in-memory index of %s: %s of %s products loaded", self.name, min(offset, expected),
                         expected)

    def _disk_version(self) -> tuple:
        """Changes whenever any process writes to this embedded store: SQLite's file change counter (bytes
        24-27 of the database's header, raised by every write transaction) with the file's size and time, and
        those of a write-ahead log if SQLite keeps one. Reading it takes microseconds."""
        database = Path(self.location) / "chroma.sqlite3"
        version: list[tuple | None] = []
        for path in (database, database.with_name(database.name + "-wal")):
            try:
                with open(path, "rb") as handle:
                    header = handle.read(28)
                    stat = os.fstat(handle.fileno())
            except OSError:
                version.append(None)
                continue
            version.append((header[24:28], stat.st_size, stat.st_mtime_ns))
        return tuple(version)

    def warm(self) -> None:
        """Load the in-memory copies now (an app does, before its first shopper)."""
        exact = self._exact_index()
        if exact is not None:
            exact.prepare()
        self._keyword_index().knows("")

    def keyword_search(self, text: str, top_k: int, where: dict | None = None,
                       including: Iterable[str] = ()) -> list[Hit]:
        """The products holding the text's words best (BM25), passing `where`, then those of `including` that hold
        any of them; `score` is the keyword relevance (search/store/keyword_index.py), `matched` the words held."""
        return [self._keyword_hit(found) for found in self._keyword_index().search(text, top_k, where, including)]

    def keyword_ids(self) -> set[str]:
        """The ids the keyword index holds (for checks that it and the store agree)."""
        return self._keyword_index().ids()

    @staticmethod
    def _keyword_hit(found: KeywordHit) -> Hit:
        return Hit(_to_product(found.product_id, found.metadata), found.score, found.matched)

    def _keyword_index(self) -> KeywordIndex:
        """The keyword index, built from the store on first use and again whenever the store changed under it:
        from the exact index's rows whenever that is loaded again (between loads the two take the same changes),
        otherwise (a store too large to hold) when the count changed, asked at most every RECHECK_S seconds."""
        exact = self._exact_index()
        if exact is not None:
            source: tuple = ("exact", self._exact_generation)
        elif self._keywords is not None and time.monotonic() < self._keywords_source[-1] + RECHECK_S:
            return self._keywords
        else:
            source = ("count", self.count(), time.monotonic())
        if self._keywords is None or source[:2] != self._keywords_source[:2]:
            rows = zip(list(exact.ids), list(exact.metadatas)) if exact is not None else self._metadata_pages()
            self._keywords = KeywordIndex(rows)
        self._keywords_source = source
        return self._keywords

    def _metadata_pages(self) -> Iterator[tuple[str, dict[str, Any]]]:
        for offset in range(0, self.count(), _PAGE):
            page: Any = self._collection.get(include=["metadatas"], limit=_PAGE, offset=offset)
            yield from zip(page["ids"], page["metadatas"])

    def records(self) -> Iterator[tuple[list[str], np.ndarray, list[dict[str, Any]]]]:
        """Every product as Chroma keeps it, page by page: ids, vectors and metadatas (what a backup copies). Each
        product is whole; a page read while another process writes holds what was written before it."""
        for offset in range(0, self.count(), _PAGE):
            page: Any = self._collection.get(include=["embeddings", "metadatas"], limit=_PAGE, offset=offset)
            vectors = np.asarray(page["embeddings"], dtype=np.float32).reshape(len(page["ids"]), -1)
            yield list(page["ids"]), vectors, list(page["metadatas"])

    def restore(self, ids: list[str], vectors: np.ndarray, metadatas: list[dict[str, Any]]) -> None:
        """Products written back as a backup holds them (their fingerprints and revisions kept)."""
        with self.writing():
            self._collection.upsert(ids=ids, embeddings=vectors, metadatas=metadatas)
        self._signal_write()

    def space_metadata(self) -> dict[str, Any]:
        """The embedding space the collection records (model, weights, dimension, schema)."""
        return dict(self._collection.metadata or {})

    def nearest_by_chroma(self, vectors: np.ndarray) -> list[float]:
        """For each vector, the cosine distance of the nearest product Chroma's own index finds, bypassing the
        in-memory copies (for `check`: it reads the vector files an in-memory search never touches)."""
        found: Any = self._collection.query(query_embeddings=vectors, n_results=1, include=["distances"])
        return [row[0] if row else float("inf") for row in found["distances"]]

    def exact_ids(self) -> set[str] | None:
        """The ids the in-memory exact index holds, loaded as a search loads it; None for a store too large for it."""
        exact = self._exact_index()
        return None if exact is None else set(exact.ids)

    def products(self) -> Iterator[Product]:
        """Every stored product: from the in-memory copy once it is loaded, otherwise page by page."""
        if self._exact is not None:
            yield from (_to_product(i, m) for i, m in zip(list(self._exact.ids), list(self._exact.metadatas)))
            return
        yield from (_to_product(i, m) for i, m in self._metadata_pages())

    def facets(self) -> dict[str, Counter]:
        """Counts of products per brand, category and colour, of the products that have one."""
        counts: dict[str, Counter] = {"brand": Counter(), "category": Counter(), "colour": Counter()}
        for product in self.products():  # a product without a value is counted nowhere: no blank choice
            for name, value in (("brand", product.brand), ("category", product.category), ("colour", product.colour)):
                if value:
                    counts[name][value] += 1
        return counts

    def other_spaces(self) -> list[str]:
        """The embedding spaces of the store's other product collections, for `stats`."""
        return [f"{c.name}: {describe_space(c.metadata or {})}, {c.count()} products"
                for c in self._client.list_collections() if c.name != self.name]


def _follow(store: ProductStore) -> None:
    """Keep a server store's in-memory copies in step from a daemon thread, every SYNC_S seconds, for as long as the
    store object lives (the thread holds it only weakly). A failed check (the server away) is logged and retried."""
    reference = weakref.ref(store)

    def follow() -> None:
        while (followed := reference()) is not None:
            try:
                followed._synced()
            except Exception as error:  # the next round tries again; queries meanwhile use the copy as it is
                log.warning("could not check %s for changes: %s", followed.location, error)
            del followed
            time.sleep(SYNC_S)

    threading.Thread(target=follow, name=f"follow {store.name}", daemon=True).start()


class _RowsSeen:
    """Rows as `_copy_rows` hands them over, kept for the indexes to take together."""

    def __init__(self) -> None:
        self.ids: list[str] = []
        self.vectors: list[np.ndarray] = []
        self.metadatas: list[dict[str, Any]] = []

    def upsert(self, ids: Sequence[str], vectors: np.ndarray, metadatas: Sequence[dict[str, Any]]) -> None:
        self.ids += ids
        self.vectors += list(vectors)
        self.metadatas += metadatas


def _to_metadata(product: Product, fingerprint: str, revision: int) -> dict[str, Any]:
    """A product as Chroma metadata. A product without a price has no `price` key (Chroma stores no None), so a
    price filter leaves it out rather than read it as 0. `revision`: when it was written (nanoseconds, taken under
    the store's writer lock, so a later write has a later revision), for readers in other processes to fetch only
    what changed."""
    price = {} if product.price is None else {"price": float(product.price)}
    return {"title": product.title, "brand": product.brand, "category": product.category, **price,
            "currency": product.currency, "image": product.image, "picture": product.picture,
            "url": product.url, "in_stock": bool(product.in_stock), "colour": product.colour,
            "fingerprint": fingerprint, "revision": revision,
            "attributes": json.dumps(product.attributes, ensure_ascii=False, sort_keys=True)}


def _to_product(product_id: str, metadata: dict[str, Any]) -> Product:
    """A product from its metadata. A store written before `picture` was a field of its own kept the local file in
    `image` and an address in the attribute `image_url`: read as the fields they are now."""
    price = metadata.get("price")
    attributes = json.loads(metadata.get("attributes") or "{}")
    address = attributes.pop("image_url", None)
    return Product(id=product_id, title=metadata.get("title", ""), brand=metadata.get("brand", ""),
                   category=metadata.get("category", ""), price=None if price is None else float(price),
                   currency=metadata.get("currency", ""), image=address or metadata["image"],
                   url=metadata.get("url", ""), in_stock=bool(metadata.get("in_stock", True)), attributes=attributes,
                   picture=metadata["picture"] if "picture" in metadata else metadata["image"])

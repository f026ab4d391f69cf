"""The in-memory copies a store is searched through: the exact vector index (search/store/exact.py) and the keyword
index (search/store/keyword_index.py). Every change comes in one way, `Replica.take`: this process's own writes as
they are made, and other processes' as the store's change signal shows them (`synced`)."""
from __future__ import annotations

import logging
import threading
import time
import weakref
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from search.store.chroma_products import ChromaProducts, Rows
from search.store.keyword_index import KeywordIndex

if TYPE_CHECKING:
    from search.store.exact import ExactIndex

RECHECK_S = 5.0  # how often a store too large to hold asks the server's count, for its keyword index
SYNC_S = 0.5  # how often the copies ask whether another process wrote (a change is seen within about this)
# A server store's thread asks less often while nothing changes, doubling its pause up to this: a change is searchable
# within 2 s, and the idle app asks the server a third as often (bench/idle.py --server: 0.78% of a core at 0.5 s)
FOLLOW_MAX_S = 1.8
log = logging.getLogger("search.store")
_UNCHECKED = object()


@dataclass(frozen=True)
class DetailsChanged:
    """Rows whose details changed and whose vectors did not."""

    ids: list[str]
    metadatas: list[dict[str, Any]]


@dataclass(frozen=True)
class Deleted:
    ids: list[str]


Change = Rows | DetailsChanged | Deleted


class Replica:
    """The exact and keyword indexes of one collection, loaded on first use and kept in step with it. `generation`
    counts the exact index's loads from the store (not the changes it took since)."""

    def __init__(self, source: ChromaProducts, limit: int) -> None:
        self.source = source
        self.limit = limit  # the most rows (pictures) held in memory; a larger store is searched by Chroma's index
        self.generation = 0
        self._exact: ExactIndex | None = None
        self._keywords: KeywordIndex | None = None
        self._keywords_source: tuple = ()  # what the keyword index was built from: see `keywords`
        self._revision = 0  # the latest revision taken from the store (not this process's writes: see `_catch_up`)
        self._seen: Any = _UNCHECKED  # the store's change signal when last checked
        self._checked = 0.0
        self._following = False  # whether a thread keeps a server store's copies in step (`_follow`)
        self._starting = threading.Lock()
        self._syncing = threading.Lock()  # one thread catches up at a time: the others wait, then find it done

    @property
    def held(self) -> ExactIndex | None:
        """The exact index as it is now, without asking the store for changes (None: not loaded, or too large)."""
        return self._exact

    def take(self, change: Change) -> None:
        """A change made to the store, into the copies that are loaded (one not loaded yet reads the store whole)."""
        exact, keywords = self._exact, self._keywords
        match change:
            case Rows():
                if exact is not None:
                    exact.upsert(change.ids, change.vectors, sharing_details(change.metadatas))
                if keywords is not None:
                    keywords.upsert(*_main_rows(change.ids, change.metadatas))
            case DetailsChanged():
                if exact is not None:
                    exact.update_metadata(change.ids, change.metadatas)
                if keywords is not None:
                    keywords.upsert(*_main_rows(change.ids, change.metadatas))
            case Deleted():
                if exact is not None:
                    exact.delete(change.ids)
                if keywords is not None:
                    keywords.delete(change.ids)

    def exact(self) -> ExactIndex | None:
        """The exact index, in step with what other processes wrote: an embedded store checks when asked (its change
        signal takes microseconds to read); on a server a thread of its own follows the store, so that no query waits
        for the network. None for a store larger than `limit`."""
        if self.source.embedded:
            return self.synced()
        with self._starting:
            if not self._following:
                self.synced()
                self._following = True
                _follow(self)
        return self._exact

    def synced(self) -> ExactIndex | None:
        """At most every SYNC_S seconds, the store's change signal; when it moved, the rows written since
        (`_catch_up`), or all of them again when those do not account for the store's count. While another process
        writes an embedded store, the copies are searched as they are (Chroma's reader is not safe meanwhile), and
        catch up once it is done."""
        if self._seen is not _UNCHECKED and time.monotonic() < self._checked + SYNC_S:
            return self._exact  # None for a store too large to hold: Chroma's index answers
        with self._syncing, self.source.unwritten() as unwritten:  # one thread at a time, no other process writing
            if not unwritten and self._exact is not None:
                return self._exact  # searched as it is until the other process's run is done
            return self._synced_now()

    def _synced_now(self) -> ExactIndex | None:
        now = time.monotonic()
        if self._seen is not _UNCHECKED and now < self._checked + SYNC_S:
            return self._exact  # another thread caught up while this one waited
        self._checked = now
        signal = self.source.news(self._seen)  # read before the count: a write meanwhile is seen next time
        if signal == self._seen:
            return self._exact
        first_check, self._seen = self._seen is _UNCHECKED, signal
        count = self.source.count()
        if count > self.limit:
            if first_check or self._exact is not None:  # said once, not again on every write
                log.warning("%s holds %d pictures, more than the %d its exact copy may hold "
                            "(PRODUCT_SEARCH_EXACT_LIMIT; by default what half this machine's memory holds): Chroma's "
                            "own index answers", self.source.name, count, self.limit)
            self._exact = None
            return None
        if self._exact is None or not self._catch_up(count):
            self._load(count)
        return self._exact

    def _load(self, count: int) -> None:
        from search.store.exact import ExactIndex  # its scan brings torch: `stats` and `delete` never get here
        exact = ExactIndex(self.source.info.dim)
        for number, page in enumerate(self.source.pages(), start=1):
            exact.upsert(page.ids, page.vectors, sharing_details(page.metadatas))
            self._revision = max(self._revision, page.latest_revision)
            if count > len(page):  # a large store's start says how far it got
                log.info("in-memory index of %s: %s of %s pictures loaded", self.source.name,
                         min(number * len(page), count), count)
        self._exact = exact
        self.generation += 1

    def _catch_up(self, count: int) -> bool:
        """Another process wrote: the copies take the rows of a later revision than they hold (a few products changed
        in place, say) and forget the ids the store no longer holds; False when that does not bring them to the
        store's count, and they must be loaded again."""
        exact = self._exact
        assert exact is not None
        def held(ids: list[str]) -> dict[str, Any]:
            return {i: m.get("revision") for i, m in exact.metadata_of(ids).items()}
        changed, self._revision = self.source.written_since(self._revision, held)
        for rows in changed:
            self.take(rows)
        if len(exact) != count:
            stored = self.source.all_ids()
            self.take(Deleted([product_id for product_id in list(exact.ids) if product_id not in stored]))
        return len(exact) == count

    def keywords(self) -> KeywordIndex:
        """The keyword index, built from the store on first use and again whenever the store changed under it:
        from the exact index's rows whenever that is loaded again (between loads the two take the same changes),
        otherwise (a store too large to hold) when the count changed, asked at most every RECHECK_S seconds."""
        exact = self.exact()
        if exact is not None:
            source: tuple = ("exact", self.generation)
        elif self._keywords is not None and time.monotonic() < self._keywords_source[-1] + RECHECK_S:
            return self._keywords
        else:
            source = ("count", self.source.count(), time.monotonic())
        if self._keywords is None or source[:2] != self._keywords_source[:2]:
            rows = (zip(list(exact.ids), list(exact.metadatas)) if exact is not None else
                    ((i, m) for page in self.source.pages(vectors=False) for i, m in zip(page.ids, page.metadatas)))
            self._keywords = KeywordIndex((i, m) for i, m in rows if m["shot"] == 0)
        self._keywords_source = source
        return self._keywords

    def warm(self) -> None:
        """Load the copies now (an app does, before its first shopper)."""
        exact = self.exact()
        if exact is not None:
            exact.prepare()
        self.keywords().knows("")

    def vectors_of(self, ids: list[str]) -> dict[str, np.ndarray] | None:
        """The vectors of these ids from memory, or None when the exact index is not loaded."""
        return None if self._exact is None else self._exact.vectors_of(ids)


def sharing_details(metadatas: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows with each of a product's rows after its first holding the first's values where they are equal (the
    same string objects, not copies): the rows of a product hold its details whole, and the in-memory index then
    keeps them once (bench/pictures.py: memory a picture)."""
    first: dict[str, dict[str, Any]] = {}
    shared = []
    for metadata in metadatas:
        main = first.setdefault(metadata.get("product", ""), metadata)
        shared.append(metadata if main is metadata else
                      {key: main[key] if main.get(key) == value else value for key, value in metadata.items()})
    return shared


def _main_rows(ids: list[str], metadatas: list[dict[str, Any]]) -> tuple[list[str], list[dict[str, Any]]]:
    """The rows of products' main pictures: the keyword index holds a product once, by the row of its first."""
    main = [(i, m) for i, m in zip(ids, metadatas) if m["shot"] == 0]
    return [i for i, _ in main], [m for _, m in main]


def _follow(replica: Replica) -> None:
    """Keep a server store's copies in step from a daemon thread, every SYNC_S seconds after a change and up to
    FOLLOW_MAX_S while nothing changes, for as long as the replica lives (the thread holds it only weakly). A failed
    check (the server away) is logged and retried."""
    reference = weakref.ref(replica)

    def follow() -> None:
        pause = SYNC_S
        while (followed := reference()) is not None:
            seen = followed._seen
            try:
                followed.synced()
            except Exception as error:  # the next round tries again; queries meanwhile use the copy as it is
                log.warning("could not check %s for changes: %s", followed.source.location, error)
            pause = SYNC_S if followed._seen != seen else min(2 * pause, FOLLOW_MAX_S)
            del followed
            time.sleep(pause)

    threading.Thread(target=follow, name=f"follow {replica.source.name}", daemon=True).start()

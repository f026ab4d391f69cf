"""Catalog feed to store: streamed in batches, pictures read (and downloaded) by a thread pool while the
encoder works on the previous batch, unchanged products skipped, so an interrupted run is finished by
running it again.

Decoding and resizing a batch's pictures is done between two batches, on every core at once, and not beside
the model: the model's threads wait for each other, so a core lent to a decoder stalls both (one decoder
thread took the model from 158 to 105 images/s on 2 cores, even at the lowest priority). Chroma's upsert
holds the GIL throughout, so writing from a thread of its own stalls everything else as well: writes are
batched instead. See docs/benchmarks.md, "Ingestion"."""
from __future__ import annotations

import hashlib
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from catalog.demo import demo_ids
from catalog.errors import UserError
from catalog.formats import FeedItem, FeedRow, RowError, read_feed
from catalog.locations import image_location, is_url
from catalog.product import CatalogError, Product
from catalog.records import FirstLines
from search.batch_size import BatchSizer
from search.encoders.base import Encoder
from search.fetch import ImageFetcher
from search.images import ImageError, load_image
from search.store.collection import Encoded, ProductStore, StoredItem
from search.store.versions import row_id

Progress = Callable[[int], None]  # rows read so far
WRITE_EVERY = 4  # encoded batches per store write
MAX_PICTURES = 10  # a product's pictures indexed (Merchant feeds carry up to 10; Shopify's up to 250)


@dataclass
class IndexSummary:
    """What one indexing run did."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    skipped: list[RowError] = field(default_factory=list)
    # Products indexed with a picture left out (one that cannot be read, or beyond the most a product keeps)
    left_out: list[RowError] = field(default_factory=list)
    duplicates: list[list[str]] = field(default_factory=list)
    encoded: list[str] = field(default_factory=list)  # ids of which a picture was (re-)encoded in this run
    pictures_encoded: int = 0
    batch_size: str = ""  # the encoder's batch size, and what each size measured
    stopped: bool = False  # asked to stop, it stopped at a batch's end: a run of the same feed goes on from there

    def __str__(self) -> str:
        return (f"added {self.added}, updated {self.updated}, unchanged {self.unchanged}, removed {self.removed}, "
                f"skipped {len(self.skipped)}")


@dataclass(frozen=True)
class _Picture:
    """One of a product's pictures, read (or downloaded) but not decoded."""

    image: str  # the feed's reference
    path: str  # the file read
    data: bytes
    fingerprint: str


@dataclass(frozen=True)
class _Loaded:
    """A feed row with those of its pictures that could be read, and what was left out."""

    row: FeedRow
    pictures: tuple[_Picture, ...] = ()
    problems: tuple[UserError, ...] = ()  # pictures left out, and why

    @property
    def product(self) -> Product:
        """The product as it is stored: with the pictures that could be read, and their files."""
        pictures, product = self.pictures, self.row.product
        return replace(product, image=pictures[0].image, extra_images=tuple(p.image for p in pictures[1:]),
                       picture=pictures[0].path, extra_pictures=tuple(p.path for p in pictures[1:]))

    @property
    def fingerprints(self) -> tuple[str, ...]:
        return tuple(picture.fingerprint for picture in self.pictures)

    @property
    def error(self) -> RowError | None:
        """Why the row is skipped: none of its pictures can be read (a product of one picture: that one's problem)."""
        if self.pictures:
            return None
        images = self.row.product.images
        first = next(p.values["problem"] for p in self.problems if p.code == "picture_left_out")
        return self._said(first if len(images) == 1 else  # type: ignore[arg-type]
                          UserError("no_picture_readable", count=len(images), problem=first))

    def left_out(self) -> list[RowError]:
        return [self._said(problem) for problem in self.problems] if self.pictures else []

    def less(self, pictures: Iterable[_Picture], problem: Callable[[_Picture], UserError]) -> _Loaded:
        """The row without these of its pictures, each left out for its `problem`."""
        gone = set(pictures)
        return _Loaded(self.row, tuple(p for p in self.pictures if p not in gone),
                       (*self.problems, *(_left_out(self.row.product.images.index(p.image) + 1,
                                                    self.row.product.images, problem(p)) for p in gone)))

    def _said(self, problem: UserError) -> RowError:
        return RowError("", self.row.line, self.row.product.id, problem)


class Indexer:
    """Indexes feeds into one store with one encoder."""

    def __init__(self, encoder: Encoder, store: ProductStore, fetcher: ImageFetcher | None = None,
                 batch_size: int = 0, workers: int = 4, max_pictures: int = MAX_PICTURES) -> None:
        self.encoder = encoder
        self.store = store
        self.fetcher = fetcher  # None: image URLs are refused, local files only
        self.batch_size = batch_size  # 0: measured on each run (search/batch_size.py)
        self.workers = workers
        self.max_pictures = max_pictures  # a product's pictures beyond these are reported, not indexed

    def index_feed(self, feed: Path | str, images_root: Path | str | None = None, prune: bool = False,
                   progress: Progress | None = None, stop: threading.Event | None = None,
                   **read_options) -> IndexSummary:
        """Index a feed file; images are relative to `images_root` (default: the feed's folder)."""
        feed = Path(feed)
        return self.index(read_feed(feed, **read_options), images_root or feed.parent, prune, progress, stop)

    def index(self, items: Iterable[FeedItem], images_root: Path | str, prune: bool = False,
              progress: Progress | None = None, stop: threading.Event | None = None) -> IndexSummary:
        """Index every valid row; bad rows and unusable pictures are skipped with a reason. With `prune`,
        products of the store that the feed no longer lists are deleted. Once `stop` is set, the batches read so far
        are written and the run ends there (nothing pruned: the feed was not read to its end)."""
        root, first_lines = Path(images_root), FirstLines()
        items = self._demo_only(items)
        in_feed: set[str] = set()
        done = 0
        with self.store.writing(), self._downloads(), ThreadPoolExecutor(self.workers) as readers, \
                ThreadPoolExecutor(os.cpu_count() or 1) as decoders:
            sizer = BatchSizer(self.batch_size)
            run = _Run(decoders, sizer, _Writes(self.store, sizer))
            waiting: list[Future] = []
            for batch in _batches(items, sizer):
                if stop is not None and stop.is_set():
                    run.summary.stopped = True
                    break
                rows = self._new_rows(batch, first_lines, in_feed, run.summary)
                reading = [readers.submit(self._load, row, root) for row in rows]
                self._store_batch([f.result() for f in waiting], run)  # encodes while `reading` runs
                waiting = reading
                done += len(batch)
                if progress:
                    progress(done)
            self._store_batch([f.result() for f in waiting], run)
            run.writes.flush()
            if prune and not run.summary.stopped:
                run.summary.removed = self.store.delete([i for i in self.store.ids() if i not in in_feed])
        run.summary.skipped.sort(key=lambda skip: skip.line)
        run.summary.batch_size = sizer.describe()
        return run.summary

    def _demo_only(self, items: Iterable[FeedItem]) -> Iterable[FeedItem]:
        """The rows, refused from the first one that is not the demo catalog's when the model is demo-world: it
        knows nothing else, and must never answer a merchant's shoppers."""
        if not self.encoder.info.spec.demo_catalog_only:
            return items
        return _demo_rows(items)

    def _downloads(self) -> AbstractContextManager[object]:
        return self.fetcher.connections() if self.fetcher else nullcontext()

    def _new_rows(self, batch: list[FeedItem], first_lines: FirstLines, in_feed: set[str],
                  summary: IndexSummary) -> list[FeedRow]:
        rows = []
        for item in batch:
            if isinstance(item, RowError):
                in_feed.add(item.product_id)  # still listed: a bad row must not prune its product
                summary.skipped.append(item)
            elif (first := first_lines.repeat_of(item)) is not None:
                summary.skipped.append(RowError("", item.line, item.product.id, UserError("duplicate_id", first=first)))
            else:
                in_feed.add(item.product.id)
                rows.append(item)
        return rows

    def _load(self, row: FeedRow, root: Path) -> _Loaded:
        """The row's pictures, read (or downloaded) but not decoded (see the module's note), with what was left
        out: pictures that cannot be read, and those beyond `max_pictures`."""
        images = row.product.images
        problems = [UserError("too_many_pictures", count=len(images), limit=self.max_pictures)
                    ] if len(images) > self.max_pictures else []
        pictures: list[_Picture] = []
        for number, image in enumerate(images[:self.max_pictures], start=1):
            try:
                pictures.append(self._read(image, root))
            except (ImageError, CatalogError, OSError) as error:
                problems.append(_left_out(number, images, _problem(error)))
        return _Loaded(row, tuple(pictures), tuple(problems))

    def _read(self, image: str, root: Path) -> _Picture:
        location = image_location(image, root)
        if isinstance(location, str):
            if self.fetcher is None:
                raise ImageError("url_needs_cache", url=location)
            path = self.fetcher.fetch(location)
        elif location.is_file():
            path = location
        else:
            raise ImageError("image_not_under", image=image, root=root)
        data = path.read_bytes()
        fingerprint = hashlib.sha256(data).hexdigest()[:32] + "/" + self.encoder.info.space_id
        return _Picture(image, str(path), data, fingerprint)

    def _store_batch(self, loaded: list[_Loaded], run: _Run) -> None:
        summary = run.summary
        summary.skipped.extend(item.error for item in loaded if item.error)
        good = [item for item in loaded if not item.error]
        stored = self.store.stored([item.product.id for item in good])
        to_encode, to_update = [], []
        for item in good:
            before = stored.get(item.product.id)
            if before is None or before.fingerprints != item.fingerprints:
                to_encode.append(item)
                continue
            summary.left_out.extend(item.left_out())
            if before.product != item.product:
                to_update.append(item)
            else:
                summary.unchanged += 1
        encoded = self._encode(to_encode, stored, run)
        self.store.update_metadata([i.product for i in to_update], [i.fingerprints for i in to_update])
        new = sum(1 for item in encoded if item.product.id not in stored)
        summary.added += new
        summary.updated += len(encoded) - new + len(to_update)

    def _encode(self, items: list[_Loaded], stored: dict[str, StoredItem], run: _Run) -> list[_Loaded]:
        """Encodes those of these products' pictures that the store does not hold (a picture it holds, moved in the
        list, say, keeps its vector), queues the products' writes and returns them as written: a picture that cannot
        be decoded is left out, and a product left without any is skipped."""
        began = time.perf_counter()
        known = self._held_vectors([item.product.id for item in items], stored)
        new = list({p.fingerprint: p for item in items for p in item.pictures if p.fingerprint not in known}.values())
        prepared = dict(zip((p.fingerprint for p in new), run.decoders.map(self._prepare, new)))
        ready = [(fingerprint, ok) for fingerprint, ok in prepared.items() if not isinstance(ok, UserError)]
        if ready:
            known.update(zip([f for f, _ in ready], self.encoder.encode_prepared([ok for _, ok in ready])))
            run.sizer.encoded(len(ready), time.perf_counter() - began)  # decoding too: it waits for the batch
            run.summary.pictures_encoded += len(ready)
        written = []
        for item in items:
            final = item.less([p for p in item.pictures if p.fingerprint not in known],
                              lambda p: prepared[p.fingerprint])
            if final.error:
                run.summary.skipped.append(final.error)
                continue
            run.summary.left_out.extend(final.left_out())
            run.writes.add(Encoded(final.product, np.stack([known[f] for f in final.fingerprints]), final.fingerprints))
            if any(f in prepared for f in final.fingerprints):
                run.summary.encoded.append(final.product.id)
            written.append(final)
        return written

    def _held_vectors(self, ids: list[str], stored: dict[str, StoredItem]) -> dict[str, np.ndarray]:
        """The vectors the store holds of these products' pictures, by the pictures' fingerprints."""
        rows = {row_id(i, shot): fingerprint for i in ids if i in stored
                for shot, fingerprint in enumerate(stored[i].fingerprints)}
        return {rows[row]: vector for row, vector in self.store.persisted_vectors(list(rows)).items()}

    def _prepare(self, picture: _Picture) -> Any:
        """The picture decoded and made ready for the model, or the problem that says why it cannot be."""
        try:
            return self.encoder.prepare(load_image(picture.data, name=picture.image))
        except ImageError as error:
            return error


def _problem(error: Exception) -> UserError:
    """A picture that could not be read, as the problem to report (an OS error in its own words)."""
    return error if isinstance(error, UserError) else UserError("unreadable_file", detail=error)


def _left_out(number: int, images: tuple[str, ...], problem: UserError) -> UserError:
    return UserError("picture_left_out", number=number, count=len(images), image=images[number - 1], problem=problem)


class _Writes:
    """Encoded products on their way to the store, written a few batches at a time (Chroma's upsert cost about
    1.1 ms a row 32 at a time, 0.65 ms 128 at a time). A crash loses at most those: a re-run encodes them."""

    def __init__(self, store: ProductStore, sizer: BatchSizer) -> None:
        self.store, self.sizer = store, sizer
        self.waiting: list[Encoded] = []

    def add(self, product: Encoded) -> None:
        self.waiting.append(product)
        if sum(map(len, self.waiting)) >= WRITE_EVERY * self.sizer.size:
            self.flush()

    def flush(self) -> None:
        if self.waiting:
            self.store.upsert(self.waiting)
        self.waiting = []


class DemoModelOnly(UserError, ValueError):
    """A catalog that is not the demo catalog, given to the demo-world model."""


def _demo_rows(items: Iterable[FeedItem]) -> Iterator[FeedItem]:
    known = demo_ids()
    for item in items:
        product_id = item.product_id if isinstance(item, RowError) else item.product.id
        if product_id not in known:
            raise DemoModelOnly("demo_only", line=item.line, id=product_id)
        yield item


@dataclass
class _Run:
    """What one `index` call works with."""

    decoders: ThreadPoolExecutor  # one thread a core: see the module's note
    sizer: BatchSizer
    writes: _Writes
    summary: IndexSummary = field(default_factory=IndexSummary)


def rows_of(products: Iterable[Product]) -> Iterator[FeedRow]:
    """Stored products as feed rows again, to index them with another model: each picture from an address by its
    address (the image cache has it), a local one by its stored file."""
    for line, product in enumerate(products, start=1):
        images = [image if is_url(image) else picture for image, picture in zip(product.images, product.pictures)]
        yield FeedRow(line, replace(product, image=images[0], extra_images=tuple(images[1:])))


def estimate_rows(feed: Path | str) -> int:
    """Roughly how many rows a feed has (lines less the header), for a progress bar's time left."""
    with open(feed, "rb") as handle:
        lines = sum(1 for _ in handle)
    return max(0, lines - (0 if str(feed).endswith((".jsonl", ".ndjson")) else 1))


def _batches(items: Iterable, sizer: BatchSizer) -> Iterator[list]:
    """The items in batches of the sizer's size as it stands when each batch is filled."""
    batch: list = []
    for item in items:
        batch.append(item)
        if len(batch) >= sizer.size:
            yield batch
            batch = []
    if batch:
        yield batch

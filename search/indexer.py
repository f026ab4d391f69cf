"""Catalog feed to store: batches, image loading beside encoding, skipping unchanged products."""
from __future__ import annotations

import hashlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator, Mapping

from PIL import Image

from catalog.formats import FeedRow, RowError, read_feed
from catalog.product import Product
from search.encoder_types import Encoder
from search.images import ImageError, load_image
from search.store import ProductStore

Progress = Callable[[int, int | None], None]  # (rows done, rows in all if known)


@dataclass
class IndexSummary:
    """What one indexing run did."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: list[str] = field(default_factory=list)

    @property
    def stored(self) -> int:
        return self.added + self.updated + self.unchanged

    def __str__(self) -> str:
        return (f"added {self.added}, updated {self.updated}, unchanged {self.unchanged}, "
                f"skipped {len(self.skipped)}")


@dataclass(frozen=True)
class _Loaded:
    row: FeedRow
    image: Image.Image | None
    fingerprint: str
    error: str | None = None


def resolve_image(reference: str, images_root: Path) -> Path:
    """The local file a feed's image reference names; refuses paths that leave the images root."""
    if reference.startswith(("http://", "https://")):
        raise ImageError(f"{reference}: image URLs are not supported yet; give a local path")
    root = images_root.resolve()
    path = (root / reference).resolve()
    if not path.is_relative_to(root):
        raise ImageError(f"{reference}: path leaves the images folder {root}")
    return path


class Indexer:
    """Indexes feeds into one store with one encoder."""

    def __init__(self, encoder: Encoder, store: ProductStore, batch_size: int = 32, workers: int = 4) -> None:
        self.encoder = encoder
        self.store = store
        self.batch_size = batch_size
        self.workers = workers

    def index_feed(self, feed: Path | str, images_root: Path | str | None = None,
                   column_map: Mapping[str, str] | None = None, progress: Progress | None = None) -> IndexSummary:
        """Index every valid row of a feed; bad rows and unreadable images are skipped with a reason."""
        feed = Path(feed)
        root = Path(images_root) if images_root else feed.parent
        summary = IndexSummary()
        seen: dict[str, int] = {}
        done = 0
        with ThreadPoolExecutor(self.workers) as pool:
            for batch in _batches(read_feed(feed, column_map), self.batch_size):
                rows = self._unique_rows(batch, seen, summary)
                loaded = list(pool.map(lambda row: self._load(row, root), rows))
                self._store_batch(loaded, summary)
                done += len(batch)
                if progress:
                    progress(done, None)
        return summary

    def _unique_rows(self, batch: list, seen: dict[str, int], summary: IndexSummary) -> list[FeedRow]:
        rows = []
        for item in batch:
            if isinstance(item, RowError):
                summary.skipped.append(str(item))
            elif item.product.id in seen:
                summary.skipped.append(f"line {item.line} (id {item.product.id}): duplicate id, first on line "
                                       f"{seen[item.product.id]}")
            else:
                seen[item.product.id] = item.line
                rows.append(item)
        return rows

    def _load(self, row: FeedRow, root: Path) -> _Loaded:
        try:
            path = resolve_image(row.product.image, root)
            if not path.is_file():
                raise ImageError(f"{row.product.image}: file not found under {root}")
            data = path.read_bytes()
            image = load_image(data, name=row.product.image)
        except ImageError as error:
            return _Loaded(row, None, "", f"line {row.line} (id {row.product.id}): {error}")
        product = Product(**{**row.product.__dict__, "image": str(path)})
        fingerprint = hashlib.sha256(data).hexdigest()[:32] + "/" + self.encoder.info.space_id
        return _Loaded(FeedRow(row.line, product), image, fingerprint)

    def _store_batch(self, loaded: list[_Loaded], summary: IndexSummary) -> None:
        summary.skipped.extend(item.error for item in loaded if item.error)
        good = [item for item in loaded if not item.error]
        stored = self.store.stored([item.row.product.id for item in good])
        to_encode, to_update = [], []
        for item in good:
            before = stored.get(item.row.product.id)
            if before is None or before.fingerprint != item.fingerprint:
                to_encode.append(item)
            elif before.product != item.row.product:
                to_update.append(item)
            else:
                summary.unchanged += 1
        if to_encode:
            vectors = self.encoder.encode_images([item.image for item in to_encode])
            self.store.upsert([i.row.product for i in to_encode], vectors, [i.fingerprint for i in to_encode])
        self.store.update_metadata([i.row.product for i in to_update], [i.fingerprint for i in to_update])
        new = sum(1 for item in to_encode if item.row.product.id not in stored)
        summary.added += new
        summary.updated += len(to_encode) - new + len(to_update)


def estimate_rows(feed: Path | str) -> int:
    """Roughly how many rows a feed has (lines less the header), for a progress bar's time left."""
    with open(feed, "rb") as handle:
        lines = sum(1 for _ in handle)
    return max(0, lines - (0 if str(feed).endswith((".jsonl", ".ndjson")) else 1))


def _batches(items: Iterable, size: int) -> Iterator[list]:
    batch: list = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch

"""`ProductStore`: products with their vectors, persisted in Chroma (search/store/chroma_products.py) and searched
through in-memory copies (search/store/replica.py), each write made to the one and handed to the other."""
from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from catalog.product import Product
from search.encoders.base import EncoderInfo
from search.ranking import Hit
from search.store import memory, versions
from search.store.chroma_products import (  # noqa: F401 (imported from here)
    COLLECTION_PREFIX,
    EF_SEARCH,
    MIN_FREE_BYTES,
    ChromaProducts,
    Rows,
    connect,
    describe_space,
)
from search.store.errors import (  # noqa: F401 (imported from here)
    StorageError,
    StoreBusyError,
    StoreError,
    StoreMismatchError,
)
from search.store.keyword_index import KeywordHit
from search.store.replica import Deleted, DetailsChanged, Replica

if TYPE_CHECKING:
    from search.store.exact import ExactIndex


@dataclass(frozen=True)
class StoredItem:
    """What the store remembers of a product besides its vector: used to skip unchanged work."""

    product: Product
    fingerprint: str


class ProductStore:
    """Products with their vectors in one Chroma collection that records its embedding space. `chroma` is what is
    persisted; `replica` the in-memory copies searches read, which take every write made here as it is made."""

    def __init__(self, location: str | Path, info: EncoderInfo, collection: str | None = None, *,
                 for_indexing: bool = False, exact_limit: int | None = None) -> None:
        """Open this encoder's collection, upgraded first if an earlier version wrote it (search/store/versions.py);
        `for_indexing` may start one beside other models' collections; up to `exact_limit` products (by default what
        this machine's memory holds: search/store/memory.py) a store is searched exactly, from memory
        (search/store/exact.py), embedded or on a server; beyond, by Chroma's index."""
        self.info = info
        self.chroma = ChromaProducts(location, info, collection or COLLECTION_PREFIX + info.space_id,
                                     schema=versions.SCHEMA, may_start=collection is not None or for_indexing)
        versions.bring_up_to_date(self.chroma)
        self.replica = Replica(self.chroma, memory.exact_limit(info.dim) if exact_limit is None else exact_limit)

    @property
    def location(self) -> str:
        return self.chroma.location

    @property
    def name(self) -> str:
        return self.chroma.name

    def count(self) -> int:
        return self.chroma.count()

    def writing(self):
        """Hold the store for writing (a whole indexing run, say); raises `StoreBusyError` at once if another
        process writes to this embedded store. Every write takes it anyway, for itself."""
        return self.chroma.writing()

    def upsert(self, products: Sequence[Product], vectors: np.ndarray, fingerprints: Sequence[str]) -> None:
        """Insert or replace products (by id) with their vectors, in batches the client accepts."""
        step = self.chroma.max_batch
        with self.writing():
            for start in range(0, len(products), step):
                batch = products[start:start + step]
                metadatas = [_to_metadata(p, f) for p, f in zip(batch, fingerprints[start:start + step])]
                self.replica.take(self.chroma.upsert([p.id for p in batch], vectors[start:start + step], metadatas))

    def update_metadata(self, products: Sequence[Product], fingerprints: Sequence[str]) -> None:
        """Replace products' details without touching their vectors."""
        if products:
            ids = [p.id for p in products]
            written = self.chroma.update_details(ids, [_to_metadata(p, f) for p, f in zip(products, fingerprints)])
            self.replica.take(DetailsChanged(ids, written))

    def delete(self, ids: Sequence[str]) -> int:
        """Delete products by id; return how many existed."""
        if not ids:
            return 0
        found = self.chroma.delete(ids)
        self.replica.take(Deleted(found))
        return len(found)

    def restore(self, rows: Rows) -> None:
        """Products written back as a backup holds them (their fingerprints and revisions kept)."""
        self.chroma.restore(rows)

    def drop(self) -> None:
        """The collection removed from the store, with every product and vector in it (a model no longer served)."""
        self.chroma.drop()

    def stored(self, ids: Sequence[str]) -> dict[str, StoredItem]:
        """What the store holds for these ids (missing ids are absent from the result)."""
        return {i: StoredItem(_to_product(i, m), str(m.get("fingerprint", "")))
                for i, m in self.chroma.metadata_of(ids).items()}

    def vector(self, product_id: str) -> np.ndarray | None:
        return self.vectors([product_id]).get(product_id)

    def vectors(self, ids: Sequence[str]) -> dict[str, np.ndarray]:
        if not ids:
            return {}
        held = self.replica.vectors_of(list(ids))
        return held if held is not None else self.chroma.vectors_of(ids)

    def ids(self) -> Iterator[str]:
        """Every stored product id, page by page."""
        for page in self.chroma.pages(vectors=False):
            yield from page.ids

    def query(self, vector: np.ndarray, top_k: int, where: dict | None = None) -> list[Hit]:
        """The nearest products to a unit vector, best first, score = cosine similarity."""
        return self.query_many([vector], top_k, where)[0]

    def query_many(self, vectors: Sequence[np.ndarray], top_k: int, where: dict | None = None) -> list[list[Hit]]:
        """The nearest products to each of several unit vectors: exactly from memory up to the store's exact limit,
        otherwise from Chroma's approximate index."""
        exact = self.replica.exact()
        if len(vectors) == 0 or (len(exact) if exact is not None else self.count()) == 0:
            return [[] for _ in vectors]
        found = (exact.search_many(np.asarray(vectors, np.float32), top_k, where) if exact is not None
                 else self.chroma.query(np.asarray(vectors, np.float32), top_k, where))
        return [[Hit(_to_product(i, metadata), score) for i, metadata, score in hits] for hits in found]

    def warm(self) -> None:
        """Load the in-memory copies now (an app does, before its first shopper)."""
        self.replica.warm()

    def keyword_search(self, text: str, top_k: int, where: dict | None = None,
                       including: Iterable[str] = ()) -> list[Hit]:
        """The products holding the text's words best (BM25), passing `where`, then those of `including` that hold
        any of them; `score` is the keyword relevance (search/store/keyword_index.py), `matched` the words held."""
        return [self._keyword_hit(found) for found in self.replica.keywords().search(text, top_k, where, including)]

    @staticmethod
    def _keyword_hit(found: KeywordHit) -> Hit:
        return Hit(_to_product(found.product_id, found.metadata), found.score, found.matched)

    def products(self) -> Iterator[Product]:
        """Every stored product: from the in-memory copy once it is loaded, otherwise page by page."""
        exact: ExactIndex | None = self.replica.held
        if exact is not None:
            yield from (_to_product(i, m) for i, m in zip(list(exact.ids), list(exact.metadatas)))
            return
        for page in self.chroma.pages(vectors=False):
            yield from (_to_product(i, m) for i, m in zip(page.ids, page.metadatas))

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
        return self.chroma.other_spaces()


def _to_metadata(product: Product, fingerprint: str) -> dict[str, Any]:
    """A product as Chroma metadata (the store adds its `revision`). A product without a price has no `price` key
    (Chroma stores no None), so a price filter leaves it out rather than read it as 0."""
    price = {} if product.price is None else {"price": float(product.price)}
    return {"title": product.title, "brand": product.brand, "category": product.category, **price,
            "currency": product.currency, "image": product.image, "picture": product.picture,
            "url": product.url, "in_stock": bool(product.in_stock), "colour": product.colour,
            "fingerprint": fingerprint,
            "attributes": json.dumps(product.attributes, ensure_ascii=False, sort_keys=True)}


def _to_product(product_id: str, metadata: dict[str, Any]) -> Product:
    """A product from its metadata, as search/store/versions.py's SCHEMA lays it out."""
    price = metadata.get("price")
    return Product(id=product_id, title=metadata.get("title", ""), brand=metadata.get("brand", ""),
                   category=metadata.get("category", ""), price=None if price is None else float(price),
                   currency=metadata.get("currency", ""), image=metadata["image"], picture=metadata["picture"],
                   url=metadata.get("url", ""), in_stock=bool(metadata.get("in_stock", True)),
                   attributes=json.loads(metadata.get("attributes") or "{}"))

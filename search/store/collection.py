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
from search.store.collapse import Collapse, by_product, first_of_each, key_of, rows_by
from search.store.errors import (  # noqa: F401 (imported from here)
    StorageError,
    StoreBusyError,
    StoreError,
    StoreMismatchError,
)
from search.store.keyword_index import KeywordHit
from search.store.replica import Deleted, DetailsChanged, Replica
from search.store.versions import row_id

if TYPE_CHECKING:
    from search.store.exact import ExactIndex

MAIN_ROW = {"shot": 0}  # the rows of products' main pictures: one a product
ROWS_PER_RESULT = 4  # Chroma is asked for this many rows a result wanted, and again as many times more if too few


@dataclass(frozen=True)
class StoredItem:
    """What the store remembers of a product besides its vectors: used to skip unchanged work."""

    product: Product
    fingerprints: tuple[str, ...]  # each picture's, in the product's order


@dataclass(frozen=True)
class Encoded:
    """A product on its way into the store: a unit vector and a fingerprint for each of its pictures, in order."""

    product: Product
    vectors: np.ndarray
    fingerprints: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.fingerprints)

    @classmethod
    def each(cls, products: Sequence[Product], vectors: np.ndarray, fingerprints: Sequence[str]) -> list[Encoded]:
        """Products of one picture each, with its vector and fingerprint."""
        return [cls(product, vectors[n:n + 1], (fingerprint,))
                for n, (product, fingerprint) in enumerate(zip(products, fingerprints))]


class ProductStore:
    """Products with their vectors in one Chroma collection that records its embedding space, a row for each of a
    product's pictures (`row_id`). `chroma` is what is persisted; `replica` the in-memory copies searches read,
    which take every write made here as it is made."""

    def __init__(self, location: str | Path, info: EncoderInfo, collection: str | None = None, *,
                 for_indexing: bool = False, exact_limit: int | None = None) -> None:
        """Open this encoder's collection, upgraded first if an earlier version wrote it (search/store/versions.py);
        `for_indexing` may start one beside other models' collections; up to `exact_limit` pictures (by default what
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
        """How many products the store holds (each with one or more pictures)."""
        exact = self.replica.held
        if exact is not None:
            return sum(1 for metadata in list(exact.metadatas) if metadata["shot"] == 0)
        return self.chroma.count_where(MAIN_ROW)

    def pictures_count(self) -> int:
        """How many pictures the store holds: a row each."""
        return self.chroma.count()

    def writing(self):
        """Hold the store for writing (a whole indexing run, say); raises `StoreBusyError` at once if another
        process writes to this embedded store. Every write takes it anyway, for itself."""
        return self.chroma.writing()

    def upsert(self, encoded: Sequence[Encoded]) -> None:
        """Insert or replace products (by id) with all their pictures: each product's rows in one write, so that a
        crash leaves it as it was or as it is now, never half of it; then the rows of pictures it no longer has go."""
        with self.writing():
            before = self._picture_counts([item.product.id for item in encoded])
            for batch in _whole_products(encoded, self.chroma.max_batch):
                ids = [row_id(item.product.id, shot) for item in batch for shot in range(len(item))]
                metadatas = [row for item in batch for row in picture_rows(item.product, item.fingerprints)]
                vectors = np.concatenate([item.vectors for item in batch])
                self.replica.take(self.chroma.upsert(ids, vectors, metadatas))
            self._delete_rows([row_id(item.product.id, shot) for item in encoded
                               for shot in range(len(item), before.get(item.product.id, 0))])

    def update_metadata(self, products: Sequence[Product], fingerprints: Sequence[tuple[str, ...]]) -> None:
        """Replace products' details on every picture's row without touching their vectors."""
        if products:
            ids = [row_id(p.id, shot) for p, prints in zip(products, fingerprints) for shot in range(len(prints))]
            metadatas = [row for p, prints in zip(products, fingerprints) for row in picture_rows(p, prints)]
            written = self.chroma.update_details(ids, metadatas)
            self.replica.take(DetailsChanged(ids, written))

    def delete(self, ids: Sequence[str]) -> int:
        """Delete products by id, with every picture; return how many existed."""
        counts = self._picture_counts(list(ids))
        self._delete_rows([row_id(product_id, shot) for product_id, count in counts.items() for shot in range(count)])
        return len(counts)

    def _delete_rows(self, ids: list[str]) -> None:
        if ids:
            self.replica.take(Deleted(self.chroma.delete(ids)))

    def _picture_counts(self, ids: Sequence[str]) -> dict[str, int]:
        """How many pictures the store holds of each of these products (those it holds), as persisted."""
        return {i: len(json.loads(m["fingerprints"])) for i, m in self.chroma.metadata_of(ids).items()}

    def restore(self, rows: Rows) -> None:
        """Products written back as a backup holds them (their fingerprints and revisions kept)."""
        self.chroma.restore(rows)

    def drop(self) -> None:
        """The collection removed from the store, with every product and vector in it (a model no longer served)."""
        self.chroma.drop()

    def stored(self, ids: Sequence[str]) -> dict[str, StoredItem]:
        """What the store holds for these product ids (missing ids are absent from the result). A product not held
        whole (a write cut short by a crash) has no fingerprints, so that an indexing run writes it again."""
        main = self.chroma.metadata_of(ids)
        others = self.chroma.metadata_of([row_id(i, shot) for i, m in main.items()
                                          for shot in range(1, len(json.loads(m["fingerprints"])))])
        return {i: StoredItem(_to_product(m), _fingerprints_if_whole(i, m, others)) for i, m in main.items()}

    def vector(self, product_id: str) -> np.ndarray | None:
        """The vector of the product's main picture."""
        return self.vectors([product_id]).get(product_id)

    def vectors(self, ids: Sequence[str]) -> dict[str, np.ndarray]:
        """The vectors of these rows (a product's id names its main picture's row), from memory once it is loaded."""
        if not ids:
            return {}
        held = self.replica.vectors_of(list(ids))
        return held if held is not None else self.chroma.vectors_of(ids)

    def variants(self, groups: Iterable[str]) -> dict[str, list[Product]]:
        """The products of each of these groups of variants, by id."""
        names = sorted(set(groups))
        if not names:
            return {}
        exact = self.replica.exact()
        rows = (exact.groups(names) if exact is not None else  # the main rows, one a product
                self.chroma.metadata_where({"$and": [{"group": {"$in": names}}, MAIN_ROW]}))
        found: dict[str, list[Product]] = {}
        for metadata in sorted(rows, key=by_product):
            found.setdefault(metadata["group"], []).append(_to_product(metadata))
        return found

    def other_variants(self, products: Iterable[Product]) -> dict[str, tuple[Product, ...]]:
        """Each of these products that is a variant, by id: the other products of its group."""
        products = [product for product in products if product.group]
        groups = self.variants(product.group for product in products)
        return {product.id: tuple(other for other in groups.get(product.group, ()) if other.id != product.id)
                for product in products}

    def persisted_vectors(self, ids: Sequence[str]) -> dict[str, np.ndarray]:
        """The vectors of these rows as Chroma holds them (an indexing run's, whatever the copies in memory hold)."""
        return self.chroma.vectors_of(ids)

    def picture_vectors(self, ids: Sequence[str]) -> dict[str, np.ndarray]:
        """Each of these products' vectors, a row a picture in the product's order (missing ids left out), in step
        with what other processes wrote (a product deleted by another is missing here, not searched from)."""
        exact = self.replica.exact()
        main = exact.metadata_of(list(ids)) if exact is not None else self.chroma.metadata_of(ids)
        rows = {i: [row_id(i, shot) for shot in range(len(json.loads(m["fingerprints"])))] for i, m in main.items()}
        found = self.vectors([row for product_rows in rows.values() for row in product_rows])
        return {i: np.stack([found[row] for row in product_rows]) for i, product_rows in rows.items()
                if all(row in found for row in product_rows)}

    def ids(self) -> Iterator[str]:
        """Every stored product id, page by page."""
        for page in self.chroma.pages(vectors=False):
            yield from (i for i, m in zip(page.ids, page.metadatas) if m["shot"] == 0)

    def query(self, vector: np.ndarray, top_k: int, where: dict | None = None,
              collapse: Collapse = by_product) -> list[Hit]:
        """The nearest products to a unit vector, best first, score = cosine similarity of its nearest picture."""
        return self.query_many([vector], top_k, where, collapse)[0]

    def query_many(self, vectors: Sequence[np.ndarray], top_k: int, where: dict | None = None,
                   collapse: Collapse = by_product) -> list[list[Hit]]:
        """The nearest products to each of several unit vectors, each product (or, collapsed `by_group`, each group
        of variants) once, by its nearest picture: exactly from memory up to the store's exact limit, otherwise from
        Chroma's approximate index."""
        exact = self.replica.exact()
        if len(vectors) == 0 or (len(exact) if exact is not None else self.pictures_count()) == 0:
            return [[] for _ in vectors]
        queries = np.asarray(vectors, np.float32)
        found = (exact.search_many(queries, top_k, where, collapse) if exact is not None
                 else self._chroma_query(queries, top_k, where, collapse))
        return [[Hit(_to_product(metadata), score, shot=metadata["shot"]) for _, metadata, score in hits]
                for hits in found]

    def query_views(self, views: np.ndarray, top_k: int, where: dict | None = None,
                    collapse: Collapse = by_product) -> list[Hit]:
        """The nearest products to any of several unit vectors (a product's pictures, say), each scored by its
        nearest pair of a view and a picture."""
        best: dict[str, Hit] = {}
        for hits in self.query_many(list(views), top_k, where, collapse):
            for hit in hits:
                key = key_of(hit.product, collapse)
                if key not in best or hit.score > best[key].score:
                    best[key] = hit
        return sorted(best.values(), key=lambda hit: -hit.score)[:top_k]

    def _chroma_query(self, queries: np.ndarray, top_k: int, where: dict | None, collapse: Collapse) -> list[list]:
        """Chroma's nearest rows, asked for more until each query has `top_k` products (or groups) or the rows run
        out, each product's best row kept."""
        wanted, rows = top_k * ROWS_PER_RESULT, self.pictures_count()
        while True:
            nearest = self.chroma.query(queries, min(wanted, rows), where)
            found = [first_of_each(hits, rows_by(collapse), top_k) for hits in nearest]
            if wanted >= rows or all(len(hits) >= top_k for hits in found):
                return found
            wanted *= ROWS_PER_RESULT

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
        return Hit(_to_product(found.metadata), found.score, found.matched)

    def products(self) -> Iterator[Product]:
        """Every stored product: from the in-memory copy once it is loaded, otherwise page by page."""
        exact: ExactIndex | None = self.replica.held
        pages = [list(exact.metadatas)] if exact is not None else (page.metadatas for page in
                                                                  self.chroma.pages(vectors=False))
        for metadatas in pages:
            yield from (_to_product(m) for m in metadatas if m["shot"] == 0)

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


def _fingerprints_if_whole(product_id: str, main: dict[str, Any], others: dict[str, dict[str, Any]]
                           ) -> tuple[str, ...]:
    """The product's fingerprints when the store holds it whole (`versions.is_whole`), else ()."""
    fingerprints = tuple(json.loads(main["fingerprints"]))
    rows = [main, *(others[row] for row in (row_id(product_id, shot) for shot in range(1, len(fingerprints)))
                    if row in others)]
    return fingerprints if versions.is_whole(rows) else ()


def _whole_products(encoded: Sequence[Encoded], max_rows: int) -> Iterator[list[Encoded]]:
    """The products in batches of at most `max_rows` rows, never a product's rows in two batches."""
    batch: list[Encoded] = []
    for item in encoded:
        if batch and sum(map(len, batch)) + len(item) > max_rows:
            yield batch
            batch = []
        batch.append(item)
    if batch:
        yield batch


def picture_rows(product: Product, fingerprints: Sequence[str]) -> list[dict[str, Any]]:
    """A product as Chroma metadata, a row for each picture (the store adds its `revision`): every row holds the
    product whole, so that a filter passes or fails all its pictures alike, and its own picture's number (`shot`)
    and fingerprint. A product without a price has no `price` key (Chroma stores no None), so a price filter leaves
    it out rather than read it as 0."""
    price = {} if product.price is None else {"price": float(product.price)}
    shared = {"product": product.id, "title": product.title, "brand": product.brand, "category": product.category,
              **price, "currency": product.currency, "image": product.image, "picture": product.picture,
              "url": product.url, "in_stock": bool(product.in_stock), "colour": product.colour,
              "group": product.group, "extra_images": json.dumps(list(product.extra_images), ensure_ascii=False),
              "extra_pictures": json.dumps(list(product.extra_pictures), ensure_ascii=False),
              "fingerprints": json.dumps(list(fingerprints)),
              "attributes": json.dumps(product.attributes, ensure_ascii=False, sort_keys=True)}
    return [{**shared, "shot": shot, "fingerprint": fingerprint} for shot, fingerprint in enumerate(fingerprints)]


def _to_product(metadata: dict[str, Any]) -> Product:
    """A product from any of its rows' metadata, as search/store/versions.py's SCHEMA lays it out."""
    price = metadata.get("price")
    return Product(id=metadata["product"], title=metadata.get("title", ""), brand=metadata.get("brand", ""),
                   category=metadata.get("category", ""), price=None if price is None else float(price),
                   currency=metadata.get("currency", ""), image=metadata["image"], picture=metadata["picture"],
                   url=metadata.get("url", ""), in_stock=bool(metadata.get("in_stock", True)),
                   attributes=json.loads(metadata.get("attributes") or "{}"), group=metadata.get("group", ""),
                   extra_images=tuple(json.loads(metadata["extra_images"])),
                   extra_pictures=tuple(json.loads(metadata["extra_pictures"])))

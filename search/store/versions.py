"""How a product's row is laid out in the store, version by version. A collection records the version that wrote its
rows; one written by an earlier version of this program is upgraded in place when it is opened, each row taken through
one version's step after the other (as rclip upgrades its database step by step), after a verified backup of it; one
written by a later version is refused, saying what to do.

Each step is a function of one row's metadata (vectors never change), and running it on a row it already changed
leaves the row as it is: an upgrade stopped midway (a kill, a full disk) is finished by the next open, whose backup
is taken as the store is then. The backups stay beside the store (`backups_of`) until someone removes them.

1 -> 2  `colour` a field of its own (the page filters by it), read from the product's attributes.
2 -> 3  `picture`, the stored file, a field of its own beside `image`, the feed's reference (before, `image` held the
        file and the attribute `image_url` the address it was fetched from); every row has a `revision`.
3 -> 4  A row a picture (search/store/collection.py): each row names its `product` and its picture's number `shot`,
        and holds the product's `fingerprints` (one a picture), its other pictures (`extra_images`, `extra_pictures`)
        and its variants' `group`. A row of version 3 is its product's one picture.
"""
from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from catalog.product import Product
from search.store.errors import StorageError, StoreMismatchError

if TYPE_CHECKING:
    from search.store.chroma_products import ChromaProducts

SCHEMA = 4
BATCH = 1000  # rows rewritten at once
log = logging.getLogger("search.store")
Metadata = dict[str, Any]


def row_id(product_id: str, shot: int) -> str:
    """The store's row of a product's picture number `shot`: the product's id for its main picture (0), and for the
    others the id and the number apart by a control character, which no product id holds (catalog/product.py)."""
    return product_id if shot == 0 else f"{product_id}\x1f{shot}"


def is_whole(rows: list[Metadata]) -> bool:
    """Whether these rows are each of a product's pictures once, all of one version of it, as one write leaves them:
    a row for each fingerprint the product lists, each with its own."""
    listed = rows[0]["fingerprints"] if rows else "[]"
    fingerprints = json.loads(listed)
    by_shot = {row["shot"]: row for row in rows}
    return bool(rows) and len(rows) == len(by_shot) == len(fingerprints) and all(
        by_shot.get(shot, {}).get("fingerprint") == fingerprint and by_shot[shot]["fingerprints"] == listed
        for shot, fingerprint in enumerate(fingerprints))


def _colour_of_its_own(row_id: str, metadata: Metadata) -> Metadata:
    attributes = json.loads(metadata.get("attributes") or "{}")
    return {**metadata, "colour": Product(id="-", image="-", attributes=attributes).colour}


def _picture_of_its_own(row_id: str, metadata: Metadata) -> Metadata:
    if "picture" in metadata:
        return {"revision": 0, **metadata}
    attributes = json.loads(metadata.get("attributes") or "{}")
    address = attributes.pop("image_url", None)
    return {"revision": 0, **metadata, "picture": metadata["image"], "image": address or metadata["image"],
            "attributes": json.dumps(attributes, ensure_ascii=False, sort_keys=True)}


def _a_row_a_picture(row_id: str, metadata: Metadata) -> Metadata:
    if "shot" in metadata:
        return metadata
    return {"product": row_id, "shot": 0, "group": "", "extra_images": "[]", "extra_pictures": "[]",
            "fingerprints": json.dumps([metadata.get("fingerprint", "")]), **metadata}


# Each version's step to the next, of a row's id and metadata
STEPS: dict[int, Callable[[str, Metadata], Metadata]] = {1: _colour_of_its_own, 2: _picture_of_its_own,
                                                         3: _a_row_a_picture}


def bring_up_to_date(chroma: ChromaProducts) -> None:
    """The collection in this version's layout: as it is, or upgraded after a backup; refused (`StorageError`
    "store_newer") when a later version wrote it, or (`StoreMismatchError`) when no version this program knows did."""
    found = chroma.schema
    if found == SCHEMA:
        return
    refuse_unreadable(found, name=chroma.name, location=chroma.location)
    from search.store.maintenance import backup  # here: maintenance imports this module
    with chroma.writing():  # no other process writes meanwhile, and an app reads nothing until it is done
        taken = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
        kept = _new_folder(backups_of(chroma) / f"{chroma.name}-schema-{found}-{taken}")
        backup(chroma, kept)
        _rewrite(chroma, found)  # every step in one pass over the rows, not a pass a step
        chroma.set_schema(SCHEMA)
    log.warning("%s in %s was in the layout of version %s: upgraded to %s, after a backup in %s", chroma.name,
                chroma.location, found, SCHEMA, kept)


def refuse_unreadable(found: Any, *, name: str, location: object) -> None:
    """Raises unless rows of the layout `found` can be brought to this version's."""
    if isinstance(found, int) and found > SCHEMA:
        raise StorageError("store_newer", name=name, location=location, found=found, wanted=SCHEMA)
    if found != SCHEMA and found not in STEPS:
        raise StoreMismatchError("schema_version", name=name, location=location, found=found, wanted=SCHEMA)


def upgraded(ids: list[str], metadatas: list[Metadata], found: int) -> list[Metadata]:
    """Rows' metadata of the layout `found` in this version's (a backup's rows, say)."""
    for version in range(found, SCHEMA):
        metadatas = [STEPS[version](row_id, metadata) for row_id, metadata in zip(ids, metadatas)]
    return metadatas


def _rewrite(chroma: ChromaProducts, found: int) -> None:
    ids = sorted(chroma.all_ids())  # read first: paging by offset while rows are rewritten could skip some
    for start in range(0, len(ids), BATCH):
        rows = chroma.rows_of(ids[start:start + BATCH])
        rows.metadatas = upgraded(rows.ids, rows.metadatas, found)
        chroma.restore(rows)


def _new_folder(wanted: Path) -> Path:
    """`wanted`, or beside it with a number when it is taken (two attempts within a second)."""
    taken = (wanted.with_name(f"{wanted.name}-{n}") for n in range(2, 1000))
    return wanted if not wanted.exists() else next(path for path in taken if not path.exists())


def backups_of(chroma: ChromaProducts) -> Path:
    """Where the backups an upgrade takes go: beside an embedded store's folder (`STORE-backups`); for a server's
    store, in the working directory (`store-backups/HOST-PORT`)."""
    if chroma.embedded:
        folder = Path(chroma.location).resolve()
        return folder.with_name(folder.name + "-backups")
    url = urlparse(chroma.location)
    return Path.cwd() / "store-backups" / f"{url.hostname}-{url.port or 8000}"

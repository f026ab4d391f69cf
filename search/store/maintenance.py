"""Keeping a store for months: `check` (the database's integrity; every product's vector present, finite and of the
recorded dimension; Chroma's own vector index answering; Chroma, the exact index and the keyword index holding the
same products), `backup` (every product, its vector and its record, into a folder of plain files with their
checksums, written whole or not at all and read back before it is called done) and `restore` (a backup checked
first, then written into a new store). The last check and backup are noted beside the store for the Admin page.

A backup is logical, not a copy of Chroma's files: it is taken through Chroma while the app serves and an index run
writes (each product whole; a product written during the backup may or may not be in it), and it restores into any
later Chroma. Repairing a damaged store: restore its last backup; or, where the database still reads, back it up and
restore that (Chroma's vector files are made again from the records); otherwise index the feed again."""
from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from catalog.errors import UserError
from search.store import versions
from search.store.chroma_products import ChromaProducts, Rows, is_server
from search.store.errors import storage_trouble

if TYPE_CHECKING:
    from search.store.collection import ProductStore

FORMAT = 1  # the backup folder's layout
VECTORS, RECORDS, MANIFEST = "vectors.npy", "records.jsonl", "manifest.json"
NOTES = "maintenance.json"  # beside Chroma's files in an embedded store's folder: the last check and backup
BATCH = 1000  # rows written at once by a restore
SAMPLED = 256  # products `check` looks up by their own vectors in Chroma's index, spread over the store
FOUND_DISTANCE = 1e-3  # a product is found by its own vector when the nearest is this close (itself or a twin)


@dataclass
class CheckReport:
    store: str
    products: int = 0
    problems: list[str] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)  # what was checked and found right

    @property
    def ok(self) -> bool:
        return not self.problems

    def lines(self) -> list[str]:
        return [f"ok: {line}" for line in self.checked] + [f"PROBLEM: {line}" for line in self.problems]


def check_database(location: str) -> CheckReport:
    """The database's integrity alone: what `check` can say of a store that cannot be opened."""
    report = CheckReport(location)
    _check_database(Path(location) / "chroma.sqlite3", report)
    return report


def check(store: ProductStore) -> CheckReport:
    chroma = store.chroma
    report = CheckReport(chroma.location)
    if chroma.embedded:
        _check_database(Path(chroma.location) / "chroma.sqlite3", report)
    ids: list[str] = []
    pictures: dict[str, list[dict[str, Any]]] = {}  # each product's rows' metadata
    samples: list[np.ndarray] = []
    bad_vectors = 0
    dim = int(chroma.space_metadata().get("dim", 0))
    try:
        for page in chroma.pages():
            ids += page.ids
            for metadata in page.metadatas:
                pictures.setdefault(metadata["product"], []).append(metadata)
            vectors = page.vectors
            samples.append(vectors[::max(1, len(vectors) // SAMPLED)][:SAMPLED])
            bad_vectors += int(np.sum(~np.isfinite(vectors).all(axis=1))) if vectors.size else 0
            if vectors.shape[1:] != (dim,) and page.ids:
                report.problems.append(f"vectors of {vectors.shape[1:]} where the store records {dim}-d")
    except Exception as error:  # what Chroma says of a store it cannot read is the finding
        trouble = storage_trouble(error, chroma.location)
        report.problems.append(str(trouble) if trouble else
                               f"the products cannot be read: {str(error).splitlines()[-1][:200]}")
        return report
    report.products = len(pictures)
    if len(set(ids)) != len(ids):
        report.problems.append(f"{len(ids) - len(set(ids))} pictures stored twice")
    if bad_vectors:
        report.problems.append(f"{bad_vectors} pictures whose vector is not finite numbers")
    _check_whole(pictures, report)
    if ids and not report.problems:
        report.checked.append(f"{len(pictures)} products with {len(ids)} pictures, each picture with a finite "
                              f"{dim}-d vector of the recorded model")
        _check_indexes(store, set(ids), set(pictures), np.concatenate(samples)[:SAMPLED], report)
    return report


def _check_whole(pictures: dict[str, list[dict[str, Any]]], report: CheckReport) -> None:
    """Each product has a row for each of its pictures, all of one version, and no other: a product is written
    whole."""
    broken = [product for product, rows in pictures.items() if not versions.is_whole(rows)]
    if broken:
        report.problems.append(f"{len(broken)} products whose pictures' rows do not match their list of pictures "
                               f"(first {broken[0]}): index the feed again to write them whole")


def _check_database(path: Path, report: CheckReport) -> None:
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as connection:
            said = [row[0] for row in connection.execute("PRAGMA integrity_check(20)")]
    except sqlite3.Error as error:
        report.problems.append(f"the database {path.name} cannot be read: {error}")
        return
    if said == ["ok"]:
        report.checked.append(f"the database {path.name} is intact")
    else:
        report.problems.append(f"the database {path.name} is damaged: {'; '.join(said[:5])}")


def _check_indexes(store: ProductStore, ids: set[str], products: set[str], sample: np.ndarray,
                   report: CheckReport) -> None:
    """Chroma's vector index finds each sampled picture by its own vector, and the in-memory copies hold the same
    pictures (the exact index) and products (the keyword index) as Chroma."""
    try:
        lost = sum(distance > FOUND_DISTANCE for distance in store.chroma.nearest_distances(sample))
        if lost:
            report.problems.append(f"Chroma's vector index did not find {lost} of {len(sample)} sampled pictures by "
                                   f"their own vectors: its vector files are damaged")
        else:
            report.checked.append(f"Chroma's vector index finds each of {len(sample)} sampled pictures by its vector")
    except Exception as error:  # its files damaged: what Chroma says is the finding
        report.problems.append(f"Chroma's vector index fails: {str(error).splitlines()[-1][:200]}")
    exact = store.replica.exact()  # loaded as a search loads it
    if exact is not None:
        _agree("the exact index", set(exact.ids), ids, "pictures", report)
    _agree("the keyword index", store.replica.keywords().ids(), products, "products", report)


def _agree(name: str, held: set[str], ids: set[str], what: str, report: CheckReport) -> None:
    if held == ids:
        report.checked.append(f"{name} holds the same {len(ids)} {what}")
    else:
        report.problems.append(f"{name} holds {len(held - ids)} {what} Chroma does not and lacks {len(ids - held)}")


def backup(store: ChromaProducts, destination: Path) -> dict[str, Any]:
    """Every product of the collection into `destination` (a folder that must not exist yet), verified; the
    manifest. Read while others write, a product changed between two pages is read again whole at the end."""
    if destination.exists():
        raise UserError("backup_exists", path=destination)
    partial = destination.with_name(destination.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    ids: list[str] = []
    metadatas: list[dict[str, Any]] = []
    vectors: list[np.ndarray] = []
    for page in store.pages():
        ids += page.ids
        metadatas += page.metadatas
        vectors.append(page.vectors)
    dim = int(store.space_metadata().get("dim", 0))
    rows = _whole_rows(store, Rows(ids, np.concatenate(vectors) if vectors else np.zeros((0, dim), np.float32),
                                   metadatas))
    with open(partial / RECORDS, "w", encoding="utf-8") as records:
        for id, metadata in zip(rows.ids, rows.metadatas):
            records.write(json.dumps({"id": id, "metadata": metadata}, ensure_ascii=False) + "\n")
    np.save(partial / VECTORS, rows.vectors)
    products = sum(1 for metadata in rows.metadatas if metadata.get("shot", 0) == 0)  # before layout 4: a row each
    manifest = {"format": FORMAT, "collection": store.name, "space": store.space_metadata(), "rows": len(rows),
                "products": products, "taken": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "files": {name: _sha256(partial / name) for name in (VECTORS, RECORDS)}}
    (partial / MANIFEST).write_text(json.dumps(manifest, indent=1, ensure_ascii=False))
    read_backup(partial)  # read back before it is called done
    partial.rename(destination)
    note(store.location, "backup", {"path": str(destination), "products": products, "pictures": len(rows)})
    return manifest


def _whole_rows(store: ChromaProducts, rows: Rows) -> Rows:
    """The rows read page by page, with each product whose rows disagree (written between two pages) read again
    whole, in one request."""
    by_product: dict[str, list[dict[str, Any]]] = {}
    for metadata in rows.metadatas:
        if "product" in metadata:  # a store of layout 4 or later (an upgrade's backup may be of an earlier one)
            by_product.setdefault(metadata["product"], []).append(metadata)
    torn = {product for product, held in by_product.items() if not versions.is_whole(held)}
    if not torn:
        return rows
    kept = [n for n, metadata in enumerate(rows.metadatas) if metadata.get("product") not in torn]
    main = store.metadata_of(sorted(torn))
    again = store.rows_of([versions.row_id(product, shot) for product, metadata in main.items()
                           for shot in range(len(json.loads(metadata["fingerprints"])))])
    return Rows([rows.ids[n] for n in kept] + again.ids, np.concatenate([rows.vectors[kept], again.vectors]),
                [rows.metadatas[n] for n in kept] + again.metadatas)


def read_backup(source: Path) -> tuple[dict[str, Any], np.ndarray, list[dict[str, Any]]]:
    """A backup's manifest, vectors and records, each file checked against its checksum; raises `UserError`
    "backup_damaged" naming what is wrong."""
    try:
        manifest = json.loads((source / MANIFEST).read_text())
        for name, digest in manifest["files"].items():
            if _sha256(source / name) != digest:
                raise UserError("backup_damaged", path=source, detail=f"{name} differs from its checksum")
        vectors = np.load(source / VECTORS, allow_pickle=False)
        records = [json.loads(line) for line in (source / RECORDS).read_text(encoding="utf-8").splitlines()]
    except UserError:
        raise
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise UserError("backup_damaged", path=source, detail=str(error)[:200]) from error
    rows = manifest.get("rows", manifest.get("products"))  # a backup of an earlier version: a row a product
    if manifest.get("format") != FORMAT or len(records) != rows or len(vectors) != len(records):
        raise UserError("backup_damaged", path=source, detail="its parts do not agree in number")
    return manifest, vectors, records


def restore(source: Path, store_for: Any) -> int:
    """The backup at `source`, checked whole first, written into the new store `store_for(space metadata,
    collection)` makes; how many products."""
    manifest, vectors, records = read_backup(source)
    layout = manifest["space"].get("schema")
    versions.refuse_unreadable(layout, name=manifest["collection"], location=source)
    store: ProductStore = store_for(manifest["space"], manifest["collection"])
    if store.count():
        raise UserError("restore_not_empty", location=store.location, products=store.count())
    for start in range(0, len(records), BATCH):
        page = records[start:start + BATCH]
        ids = [row["id"] for row in page]
        metadatas = versions.upgraded(ids, [row["metadata"] for row in page], layout)  # an earlier version's backup
        store.restore(Rows(ids, vectors[start:start + BATCH], metadatas))
    return int(manifest["products"])


def note(location: str, kind: str, values: dict[str, Any]) -> None:
    """The last check or backup, noted beside an embedded store (a server store keeps no notes)."""
    if is_server(location):
        return
    path = Path(location) / NOTES
    notes = last_notes(location)
    notes[kind] = {"at": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), **values}
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(notes, indent=1))
    temporary.replace(path)


def last_notes(location: str) -> dict[str, Any]:
    try:
        return json.loads((Path(location) / NOTES).read_text())
    except (OSError, ValueError):
        return {}


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()

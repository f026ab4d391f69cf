"""Stores written by earlier versions are upgraded in place after a backup; one written by a later version is refused
with what to do; an upgrade stopped midway is finished by the next open."""
import json

import chromadb
import numpy as np
import pytest
from test_store import SPACE_A

from conftest import cli_here
from search.store import versions
from search.store.chroma_products import ChromaProducts, space_metadata
from search.store.collection import Encoded, ProductStore, StoreMismatchError
from search.store.errors import StorageError
from search.store.maintenance import backup, read_backup, restore

NAME = "products-" + SPACE_A.space_id


def _client(folder) -> chromadb.api.ClientAPI:
    return chromadb.PersistentClient(path=str(folder), settings=chromadb.Settings(anonymized_telemetry=False))


def _first_version_store(folder, products: int = 3) -> None:
    """A store as version 1 wrote it: no `colour` field (the colour among the attributes), the stored file in
    `image` and the address it came from in the attribute `image_url`, no `revision`."""
    client = _client(folder)
    collection = client.create_collection(NAME, configuration={"hnsw": {"space": "cosine"}},
                                          metadata=space_metadata(SPACE_A, schema=1), embedding_function=None)
    ids = [f"p{n}" for n in range(products)]
    attributes = [{"colour": ["red", "navy blue", "teal"][n % 3], "image_url": f"https://shop.example/{n}.jpg"}
                  for n in range(products)]
    collection.add(ids=ids, embeddings=np.eye(3, dtype=np.float32)[[n % 3 for n in range(products)]],
                   metadatas=[{"title": f"Mug {n}", "brand": "Lumen", "category": "Mugs", "price": 10.0 + n,
                               "currency": "USD", "image": f"/cache/{n}.jpg", "url": "", "in_stock": True,
                               "fingerprint": f"f{n}", "attributes": json.dumps(attributes[n])}
                              for n in range(products)])
    client.clear_system_cache()


def test_a_store_of_the_first_version_is_upgraded_in_place_after_a_backup(tmp_path):
    _first_version_store(tmp_path / "store")
    store = ProductStore(tmp_path / "store", SPACE_A)
    assert store.chroma.schema == versions.SCHEMA
    mug = next(h.product for h in store.query(np.array([0, 1, 0], np.float32), 1))
    assert (mug.id, mug.colour, mug.picture, mug.image) == ("p1", "Navy Blue", "/cache/1.jpg",
                                                           "https://shop.example/1.jpg")
    assert "image_url" not in mug.attributes
    assert [h.product.id for h in store.query(np.ones(3, np.float32), 5, {"colour": {"$eq": "Teal"}})] == ["p2"]
    assert all(m["revision"] == 0 for m in store.chroma.metadata_of(["p0", "p1", "p2"]).values())
    kept = list((tmp_path / "store-backups").iterdir())
    assert len(kept) == 1 and kept[0].name.startswith(f"{NAME}-schema-1-")
    manifest, vectors, records = read_backup(kept[0])  # verified, and as the store was before
    assert manifest["space"]["schema"] == 1 and len(records) == 3 and "picture" not in records[0]["metadata"]
    again = ProductStore(tmp_path / "store", SPACE_A)  # upgraded once: no second backup
    assert again.count() == 3 and len(list((tmp_path / "store-backups").iterdir())) == 1


def test_an_upgrade_stopped_midway_is_finished_by_the_next_open(tmp_path, monkeypatch):
    _first_version_store(tmp_path / "store", products=5)
    monkeypatch.setattr(versions, "BATCH", 2)
    written = []

    def full_disk_on_the_second_batch(self, rows):
        if len(written) == 1:
            raise StorageError("store_full", location=self.location, detail="0 MB free")
        written.append(rows.ids)
        return original(self, rows)
    original = ChromaProducts.restore
    monkeypatch.setattr(ChromaProducts, "restore", full_disk_on_the_second_batch)
    with pytest.raises(StorageError, match="is full"):
        ProductStore(tmp_path / "store", SPACE_A)
    monkeypatch.setattr(ChromaProducts, "restore", original)
    store = ProductStore(tmp_path / "store", SPACE_A)  # the two rows upgraded already are upgraded again, unchanged
    assert store.chroma.schema == versions.SCHEMA and store.count() == 5
    assert {p.id: p.picture for p in store.products()} == {f"p{n}": f"/cache/{n}.jpg" for n in range(5)}
    assert {p.colour for p in store.products()} == {"Red", "Navy Blue", "Teal"}
    assert len(list((tmp_path / "store-backups").iterdir())) == 2  # one before each attempt


def test_a_store_written_by_a_later_version_is_refused_saying_what_to_do(tmp_path):
    ProductStore(tmp_path / "store", SPACE_A).upsert(Encoded.each([], np.zeros((0, 3), np.float32), []))
    client = _client(tmp_path / "store")
    client.get_collection(NAME).modify(metadata=space_metadata(SPACE_A, schema=versions.SCHEMA + 1))
    client.clear_system_cache()
    with pytest.raises(StorageError) as refused:
        ProductStore(tmp_path / "store", SPACE_A)
    assert refused.value.code == "store_newer"
    assert str(refused.value) == (
        f"collection {NAME!r} in {tmp_path / 'store'} was written by a later version of this program (row layout "
        f"{versions.SCHEMA + 1}; this one reads up to {versions.SCHEMA}): run that version, or restore a backup taken "
        f"by this one (`python -m search restore BACKUP`) into another store")
    assert refused.value.in_language("zh-CN").startswith(f"{tmp_path / 'store'} 中的集合")
    said = cli_here("search", "stats", "--store", str(tmp_path / "store"))
    assert said.returncode == 2 and "written by a later version" in said.stderr and "Traceback" not in said.stderr
    assert not (tmp_path / "store-backups").exists()  # nothing written


def test_a_layout_no_version_wrote_is_refused(tmp_path):
    client = _client(tmp_path)
    client.create_collection(NAME, metadata={**space_metadata(SPACE_A, schema=0), "schema": "two"})
    client.clear_system_cache()
    with pytest.raises(StoreMismatchError, match="has schema version two"):
        ProductStore(tmp_path, SPACE_A)


def test_a_backup_of_an_earlier_version_restores_into_this_versions_layout(tmp_path):
    _first_version_store(tmp_path / "old")
    old = ChromaProducts(tmp_path / "old", SPACE_A, NAME, schema=1, may_start=False)  # as version 1 left it
    backup(old, tmp_path / "kept")
    restored = restore(tmp_path / "kept", lambda space, name: ProductStore(tmp_path / "new", SPACE_A, name))
    store = ProductStore(tmp_path / "new", SPACE_A)
    assert restored == 3 and store.chroma.schema == versions.SCHEMA
    assert {p.id: (p.colour, p.picture) for p in store.products()} == {
        "p0": ("Red", "/cache/0.jpg"), "p1": ("Navy Blue", "/cache/1.jpg"), "p2": ("Teal", "/cache/2.jpg")}

"""Strangers on the public page: shoppers' photos are not kept, uploads are capped, and the only files served
are the catalog's pictures."""
import httpx
import pytest
from gradio_client import Client, handle_file
from PIL import Image

from conftest import images_in
from search.images import MAX_BYTES


def test_photos_searched_through_the_api_are_not_kept(launched_app, tmp_path):
    url, demo_dir = launched_app
    photo = tmp_path / "shopper.png"
    Image.open(demo_dir / "images" / "demo-0203.png").rotate(5).save(photo)
    client = Client(url, verbose=False)
    for _ in range(2):
        gallery, status = client.predict(handle_file(str(photo)), 3, 0.0, [], [], None, None, False,
                                         api_name="/search_image")
        assert len(gallery) == 3, status
    uploads = demo_dir.parent / "uploads"
    assert uploads.is_dir() and images_in(uploads) == []


def test_an_upload_over_the_size_limit_is_refused(launched_app, tmp_path):
    url, demo_dir = launched_app
    big = b"\xff\xd8" + b"\0" * (MAX_BYTES + 1024)
    answer = httpx.post(f"{url}gradio_api/upload", files={"files": ("huge.jpg", big, "image/jpeg")}, timeout=60)
    assert answer.status_code == 413 and f"maximum allowed size of {MAX_BYTES} bytes" in answer.text
    assert not list((demo_dir.parent / "uploads").rglob("huge.jpg"))


@pytest.mark.parametrize("path", [
    "/etc/passwd",
    "{demo}/images/../demo.csv",  # beside the pictures, but not one of them
    "{home}/saved-settings.json",
    "{home}/store/chroma.sqlite3",
    "{demo}/images/%2e%2e/%2e%2e/store/chroma.sqlite3",
])
def test_no_file_outside_the_catalog_pictures_is_served(launched_app, path):
    url, demo_dir = launched_app
    target = path.format(demo=demo_dir, home=demo_dir.parent)
    answer = httpx.get(f"{url}gradio_api/file={target}", timeout=30)
    assert answer.status_code in (403, 404), (target, answer.status_code)
    assert b"root:" not in answer.content and b"SQLite" not in answer.content


def test_the_catalog_pictures_are_served(launched_app):
    url, demo_dir = launched_app
    answer = httpx.get(f"{url}gradio_api/file={demo_dir}/images/demo-0105.png", timeout=30)
    assert answer.status_code == 200 and answer.content[:4] == b"\x89PNG"


def test_the_photo_box_reads_an_upload_and_deletes_it_but_never_a_file_elsewhere(tmp_path, monkeypatch):
    from gradio.data_classes import ImageData

    from page.inputs import PhotoInput

    monkeypatch.setenv("GRADIO_TEMP_DIR", str(tmp_path / "uploads"))
    upload = tmp_path / "uploads" / "3f2a" / "me.jpg"
    upload.parent.mkdir(parents=True)
    upload.write_bytes(b"photo bytes")
    catalog_picture = tmp_path / "catalog" / "mug.png"
    catalog_picture.parent.mkdir()
    catalog_picture.write_bytes(b"catalog bytes")
    box = PhotoInput()
    taken = box.preprocess(ImageData(path=str(upload), orig_name="me.jpg"))
    assert (taken.data, taken.name) == (b"photo bytes", "me.jpg") and not upload.parent.exists()
    assert box.preprocess(ImageData(path=str(catalog_picture))).data == b"catalog bytes"
    assert catalog_picture.exists()
    assert box.preprocess(ImageData(url="data:image/svg+xml,%3Csvg%3E", orig_name="x.svg")).data == b"<svg>"
    shown = box.postprocess(b"\xff\xd8jpeg")
    assert shown.path is None and shown.url == "data:image/jpeg;base64,/9hqcGVn"

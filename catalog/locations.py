"""Where a feed's image reference points: a file under the images folder, or an http(s) URL."""
from __future__ import annotations

from pathlib import Path
from urllib.parse import urlparse

from catalog.product import CatalogError


def is_url(reference: str) -> bool:
    scheme = urlparse(reference).scheme
    return len(scheme) > 1  # one letter is a Windows drive, not a scheme


def image_location(reference: str, images_root: Path) -> Path | str:
    """The local file (inside `images_root`) or the http(s) URL an image reference names."""
    if is_url(reference):
        url = urlparse(reference)
        if url.scheme not in ("http", "https"):
            raise CatalogError("image_url_scheme", image=reference[:80], scheme=url.scheme)
        if not url.hostname:
            raise CatalogError("image_url_host", image=reference[:80])
        return reference
    root = images_root.resolve()
    path = (root / reference).resolve()
    if not path.is_relative_to(root):
        raise CatalogError("image_outside", image=reference[:80], root=root)
    return path

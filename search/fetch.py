"""Image URLs from feeds, downloaded once into a local cache: timeouts, retries, a size cap, and a check
that what came back is a picture, so a re-run never downloads again."""
from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from urllib.parse import urlparse

import httpx

from catalog.errors import UserError
from search.images import MAX_BYTES, ImageError, PhotoBytes, load_image

_RETRIABLE = {408, 425, 429, 500, 502, 503, 504}


class ImageFetcher:
    """Downloads http(s) images into `cache_dir`, keyed by URL."""

    def __init__(self, cache_dir: Path | str | None, timeout: float = 10.0, retries: int = 2,
                 max_bytes: int = MAX_BYTES) -> None:
        self.cache_dir = Path(cache_dir) if cache_dir is not None else None
        self.timeout = timeout
        self.retries = retries
        self.max_bytes = max_bytes
        self._client: httpx.Client | None = None

    @contextmanager
    def connections(self) -> Iterator[ImageFetcher]:
        """Downloads made inside share one connection pool and one TLS set-up: a client of its own per picture cost
        31 ms a picture, a shared one 1.8 ms (the 240 demo pictures from a local server, 4 threads)."""
        self._client = httpx.Client(timeout=self.timeout, follow_redirects=True)
        try:
            yield self
        finally:
            self._client.close()
            self._client = None

    def cached_path(self, url: str) -> Path:
        if self.cache_dir is None:
            raise ValueError("this fetcher has no cache folder: use download()")
        return self.cache_dir / hashlib.sha256(url.encode()).hexdigest()[:40]

    def fetch(self, url: str) -> Path:
        """The cached file for `url`, downloading it first if needed; raises `ImageError` saying what failed."""
        path = self.cached_path(url)
        if path.is_file():
            return path
        data = self.download(url)
        load_image(data, name=url)  # only pictures enter the cache
        assert self.cache_dir is not None  # `fetch` checked above that there is a cache
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f"{path.name}.{os.getpid()}.part")
        partial.write_bytes(data)
        partial.replace(path)
        return path

    def download(self, url: str) -> bytes:
        """The bytes at an http(s) URL, in memory only; raises `ImageError` saying what failed."""
        scheme = urlparse(url).scheme.lower()
        if scheme not in ("http", "https"):
            raise ImageError("url_scheme", url=url, scheme=scheme or "?")
        last = UserError("download_failed", detail="no attempt made")
        for attempt in range(self.retries + 1):
            if attempt:
                time.sleep(0.5 * 2 ** (attempt - 1))
            try:
                return self._get(url)
            except _Retry as retry:
                last = retry.reason
        raise (ImageError("url_failed_tries", url=url, reason=last, tries=self.retries + 1) if self.retries
               else ImageError("url_failed", url=url, reason=last))

    def _get(self, url: str) -> bytes:
        deadline = time.monotonic() + self.timeout * 3
        try:
            with self._stream(url) as response:
                self._check_response(url, response)
                chunks, size = [], 0
                for chunk in response.iter_bytes(65536):
                    size += len(chunk)
                    if size > self.max_bytes:
                        raise ImageError("url_too_big", url=url, limit=self.max_bytes // 2**20)
                    if time.monotonic() > deadline:
                        raise _Retry(UserError("download_slow", seconds=self.timeout * 3))
                    chunks.append(chunk)
                return b"".join(chunks)
        except httpx.TimeoutException:
            raise _Retry(UserError("no_answer_within", seconds=self.timeout)) from None
        except httpx.HTTPError as error:
            raise _Retry(UserError("download_failed", detail=type(error).__name__)) from None

    def _stream(self, url: str) -> AbstractContextManager[httpx.Response]:
        if self._client is not None:
            return self._client.stream("GET", url)
        return httpx.stream("GET", url, timeout=self.timeout, follow_redirects=True)

    def _check_response(self, url: str, response: httpx.Response) -> None:
        if response.status_code in _RETRIABLE:
            raise _Retry(UserError("http_status", status=response.status_code))
        if response.status_code >= 400:
            raise ImageError("url_status", url=url, status=response.status_code, reason=response.reason_phrase)
        kind = response.headers.get("content-type", "").split(";")[0].strip().lower()
        if kind and not kind.startswith("image/") and kind != "application/octet-stream":
            raise ImageError("url_not_image", url=url, kind=kind)
        length = response.headers.get("content-length", "")
        if length.isdigit() and int(length) > self.max_bytes:
            raise ImageError("url_length", url=url, size=int(length) / 2**20, limit=self.max_bytes // 2**20)


def download_photo(url: str, timeout: float) -> PhotoBytes:
    """A shopper's photo at an http(s) address, in memory only and in one attempt (someone is waiting)."""
    return PhotoBytes(ImageFetcher(None, timeout=timeout, retries=0).download(url), url)


class _Retry(Exception):
    """A failure worth another attempt (timeout, connection error, 5xx, 429), and the problem it was."""

    def __init__(self, reason: UserError) -> None:
        super().__init__(str(reason))
        self.reason = reason

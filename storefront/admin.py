"""What admins do from the page: index an uploaded feed, delete products, read store statistics, save the
tuning as everyone's defaults, and switch the model preset. Every action checks the admin password itself,
so the API refuses a caller without it as firmly as the page hides the tab. A refusal or a mistake is raised
(`AdminRefused`, `AdminError`, or the library's own `UserError`); the page says it."""
from __future__ import annotations

import hmac
import threading
from collections.abc import Callable
from pathlib import Path

from catalog.errors import UserError
from search.choices import ranking_choice
from search.config import MODEL_PRESETS
from search.encoders.registry import OFFLINE
from search.indexer import IndexSummary, estimate_rows
from search.ranking import KNOBS
from search.recorded import describe
from storefront.front import Storefront
from storefront.text import say

Progress = Callable[[float, str], None]  # (fraction done, what is happening)
PRESETS = (*MODEL_PRESETS, OFFLINE.name)
MAX_REPORTED_SKIPS = 50


class AdminRefused(UserError, PermissionError):
    """No admin password is configured, or the one given is wrong."""


class AdminError(UserError, ValueError):
    """An admin action cannot be done as asked; the message says why."""


class Admin:
    def __init__(self, storefront: Storefront) -> None:
        self.storefront = storefront
        self.writing = threading.Lock()  # one ingest or preset switch at a time

    @property
    def enabled(self) -> bool:
        return bool(self.storefront.settings.app.admin_password)

    def check(self, password: str | None) -> None:
        expected = self.storefront.settings.app.admin_password
        if not expected:
            raise AdminRefused("admin_off")
        given = password if isinstance(password, str) else ""  # a hostile client sends any type
        if not hmac.compare_digest(given.encode(), expected.encode()):
            raise AdminRefused("wrong_password")

    def stats(self, password: str, lang: str = "en") -> str:
        self.check(password)
        service = self.storefront.service()
        return "\n".join(f"- **{say(lang, 'stat_' + label.replace(' ', '_'))}**: {value}"
                         for label, value in describe(service.store, service.encoder.info))

    def ingest(self, password: str, feed: str | Path | None, images_root: str = "",
               progress: Progress = lambda *_: None, lang: str = "en") -> str:
        """Index a feed into the serving collection; images are relative to `images_root` or the feed."""
        self.check(password)
        if not feed:
            raise AdminError("no_feed")
        feed = Path(feed)
        root = Path(images_root.strip()) if images_root and images_root.strip() else feed.parent
        if not root.is_dir():
            raise AdminError("no_images_folder", root=root)
        service = self.storefront.service()
        total = max(estimate_rows(feed), 1)
        with self.writing:
            try:
                summary = self.storefront.indexer(service).index_feed(
                    feed, root, progress=lambda done: progress(min(done / total, 1.0), f"{done} of ~{total} rows"))
            except UserError as error:
                raise AdminError("in_feed", feed=feed.name, problem=error) from error
        self.storefront.catalog_changed()
        return indexed_summary(feed.name, summary, lang)

    def delete(self, password: str, ids_text: str, lang: str = "en") -> str:
        self.check(password)
        ids = [part.strip() for part in ids_text.replace(",", "\n").splitlines() if part.strip()]
        if not ids:
            raise AdminError("no_ids")
        deleted = self.storefront.service().store.delete(ids)
        self.storefront.catalog_changed()
        missing = len(ids) - deleted
        return say(lang, "deleted", deleted=deleted, asked=len(ids)) + (say(lang, "not_there", missing=missing)
                                                                         if missing else "")

    def save_defaults(self, password: str, lang: str = "en", **knobs: object) -> str:
        """The ranking knobs given (by name; one left out keeps its value) saved as everyone's defaults."""
        self.check(password)
        settings = self.storefront.settings.save(**ranking_choice(knobs))
        self.storefront.settings = settings
        words = lang == "zh-CN"
        saved = ", ".join(f"{knob.label[words]} {getattr(settings.ranking, knob.name):g}" for knob in KNOBS)
        return say(lang, "saved_defaults", path=settings.app.saved_settings, knobs=saved)



def indexed_summary(name: str, summary: IndexSummary, lang: str) -> str:
    """An indexing run as the Admin page says it, in the admin's language."""
    lines = [f"**{name}**: " + say(lang, "indexed", added=summary.added, updated=summary.updated,
                                   unchanged=summary.unchanged, removed=summary.removed, skipped=len(summary.skipped))]
    if summary.encoded:  # what the run measured, as the CLI prints it
        lines.append(f"- encoder: {summary.batch_size}")
    for kind, rows in (("skipped_row", summary.skipped), ("left_out_row", summary.left_out)):
        lines += [f"- {say(lang, kind, row=row.in_language(lang))}" for row in rows[:MAX_REPORTED_SKIPS]]
        if len(rows) > MAX_REPORTED_SKIPS:
            lines.append(f"- {say(lang, 'more_skipped', count=len(rows) - MAX_REPORTED_SKIPS)}")
    return "\n".join(lines)


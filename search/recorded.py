"""A store opened as it recorded itself, without loading a model: `stats`, `delete` and `duplicates` read or remove
records and compare stored vectors, so they never import torch's model code or open_clip (about 6 s), and they work
on a machine without the model's weights. The settings' model names the collection, as `build_service` would."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from search.config import Settings, model_and_weights
from search.encoders.base import EncoderInfo, weights_label
from search.encoders.registry import spec_of
from search.store.collection import COLLECTION_PREFIX, ProductStore, connect, describe_space
from search.store.errors import StoreMismatchError
from search.store.maintenance import last_notes


def recorded_space(settings: Settings) -> tuple[str, str | None]:
    """The model and weights label a store records for the settings' model (a preset resolved as `load_encoder`
    resolves it)."""
    spec = spec_of(settings.model.name)
    if spec.fixed_weights and not settings.model.pretrained:
        return spec.name, spec.fixed_weights
    model, tag = model_and_weights(settings.model.name, settings.model.pretrained)
    return model, weights_label(tag)


def open_recorded(settings: Settings) -> tuple[ProductStore, str | None]:
    """The store's collection for the settings' model, and a note when it holds only another model's products
    (where `build_service` would have fallen back to the offline encoder for want of weights, say)."""
    location = str(settings.store.location)
    if not location.startswith(("http://", "https://")) and not Path(location).is_dir():
        raise StoreMismatchError("no_store", location=location)
    collections = {c.name: c.metadata or {} for c in connect(location).list_collections()
                   if c.name.startswith(COLLECTION_PREFIX) or c.name == settings.store.collection}
    model, tag = recorded_space(settings)
    wanted = [name for name, meta in collections.items() if name == settings.store.collection or
              (meta.get("encoder_model"), meta.get("encoder_pretrained") or None) == (model, tag)]
    if wanted:
        return ProductStore(location, info_of(collections[wanted[0]]), wanted[0]), None
    if len(collections) == 1:
        (name, meta), = collections.items()
        note = f"the store holds products of {describe_space(meta)} only, not of {settings.model.name}: these are shown"
        return ProductStore(location, info_of(meta), name), note
    held = "; ".join(describe_space(meta) for meta in collections.values()) or "no products"
    raise StoreMismatchError("store_other_model", location=location, held=held, model=settings.model.name)


def info_of(metadata: dict[str, Any]) -> EncoderInfo:
    """The embedding space a collection records, as an encoder would describe it."""
    spec = spec_of(str(metadata.get("encoder_model")))
    return EncoderInfo(spec.name, metadata.get("encoder_pretrained") or None, int(metadata.get("dim", 0)),
                       "clip" if spec.torch else "offline", pretrained_weights=spec.pretrained_weights,
                       supports_text=bool(spec.reads))


def describe(store: ProductStore, running: EncoderInfo | None = None) -> list[tuple[str, str]]:
    """What the store holds and which model embeds it, as (label, value) lines for `stats` and the Admin page;
    with the `running` encoder, the arithmetic it runs in."""
    info, facets = store.info, store.facets()
    arithmetic = f", {running.precision} on {running.device}" if running is not None and running.kind == "clip" else ""
    weights = "pretrained weights" if info.pretrained_weights else f"{info.kind}, no pretrained weights"
    lines = [("store", f"{store.location} (collection {store.name})"),
             ("model", f"{info.label}, {info.dim}-d{arithmetic}, {weights}"), ("products", str(store.count())),
             ("pictures", str(store.pictures_count()))]
    for name, label in (("brand", "brands"), ("category", "categories"), ("colour", "colours")):
        lines.append((label, ", ".join(f"{k} ({v})" for k, v in facets[name].most_common()) or "none"))
    notes = last_notes(store.location)
    if "check" in notes:
        check = notes["check"]
        lines.append(("last check", f"{check['at']}: " + ("ok" if check["ok"] else "; ".join(check["problems"]))))
    if "backup" in notes:
        lines.append(("last backup", f"{notes['backup']['at']}: {notes['backup']['products']} products into "
                                     f"{notes['backup']['path']}"))
    if running is not None and running.measured is not None:
        lines.append(("arithmetic", running.measured.summary()))
    lines += [("also holds", other) for other in store.other_spaces()]
    return lines

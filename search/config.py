"""The one `Settings` object: defaults, overridden by environment variables, then by CLI flags."""
from __future__ import annotations

import argparse
import json
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from catalog.errors import UserError
from search.ranking import KNOBS, Ranking

# preset -> (open_clip model name, pretrained tag)
MODEL_PRESETS: dict[str, tuple[str, str | None]] = {
    "fast": ("ViT-B-32", "laion2b_s34b_b79k"),
    "quality": ("hf-hub:Marqo/marqo-ecommerce-embeddings-B", None),
    "multilingual": ("xlm-roberta-base-ViT-B-32", "laion5b_s13b_b90k"),
    # a small CLIP trained here on the demo catalog's drawings only (tools/train_demo_clip.py): for demos and tests
    "demo-world": ("demo-world", str(Path(__file__).parent / "encoders" / "weights" / "demo-world.safetensors")),
}
ENV_PREFIX = "PRODUCT_SEARCH_"
# What an admin may save from the page as everyone's defaults (kept in `saved_settings`): every ranking knob, and
# the model
SAVABLE = (*(knob.name for knob in KNOBS), "model")


def model_and_weights(model: str, pretrained: str | None = None) -> tuple[str, str | None]:
    """The open_clip model a name means and its weights (a tag or a local file): a preset resolved, `pretrained`
    over the preset's own."""
    model_name, tag = MODEL_PRESETS.get(model, (model, None))
    return model_name, pretrained or tag


class ConfigError(UserError, ValueError):
    """A setting has a value that cannot be used; the message names the setting."""


# Each numeric setting's range (least, most; None: no bound), checked whenever settings are made: a value outside
# it would otherwise be clamped or misread quietly (a negative exact limit sent every query to Chroma's index).
# The ranking knobs' ranges are their own (`search.ranking.KNOBS`).
RANGES: dict[str, tuple[float | None, float | None]] = {
    "batch_size": (0, None), "exact_limit": (0, None), "item_regions": (1, None), "item_min_score": (-1.0, 1.0),
    "duplicate_threshold": (-1.0, 1.0), "nice": (0, 19), "max_pictures": (1, 250), "port": (1, 65535),
    "url_timeout": (0.1, None), "events_retention_days": (1, None), "events_max_mb": (1, None)}

# The settings that take one of a few words
CHOICES: dict[str, tuple[str, ...]] = {"variants": ("together", "apart")}


@dataclass(frozen=True)
class StoreSettings:
    """Where the catalog is kept, and how it is written."""

    location: Path | str = Path("data/store")  # a folder, or a Chroma server's http(s) address (kept as text)
    collection: str | None = None  # default: one per model
    demo_dir: Path = Path("data/demo-catalog")
    image_cache: Path = Path("data/image-cache")  # downloaded feed images
    batch_size: int = 0  # pictures the encoder takes at once when indexing; 0: measured on each run's first batches
    # The most products searched exactly from memory; 0: what half this machine's (or container's) memory holds at
    # each product's measured size (search/store/memory.py). Beyond it, Chroma's own index answers
    exact_limit: int = 0
    duplicate_threshold: float = 0.985
    # "off": an embedded store is opened without first reading it in a child process, which a store whose vector
    # files crash Chroma's reader would crash instead of this one (search/store/crash_probe.py)
    crash_probe: str = "on"
    max_pictures: int = 10  # a product's pictures indexed; those beyond are reported, not indexed
    # How much an index run lowers its CPU priority (Unix niceness, 0 to 19): an app serving on the same machine
    # answers its shoppers first, and a machine with nothing else to do runs the index as fast (bench/ingest_load.py)
    nice: int = 10

    @property
    def probes_crashes(self) -> bool:
        return not _off(self.crash_probe)


@dataclass(frozen=True)
class ModelSettings:
    """Which model embeds, with which weights, in which arithmetic, where."""

    name: str = "fast"  # a preset, an open_clip name, hf-hub:ORG/REPO, offline, demo-world or test-tiny
    pretrained: str | None = None
    precision: str = "auto"
    device: str = "auto"  # where CLIP runs: auto (a CUDA GPU, then Apple's MPS, then the CPU), cpu, cuda, cuda:N, mps


@dataclass(frozen=True)
class AppSettings:
    """How the app serves."""

    port: int = 7860
    admin_password: str | None = None  # without it the page has no Admin tab and admin actions are refused
    saved_settings: Path = Path("data/saved-settings.json")
    url_timeout: float = 8.0  # seconds a shopper's image address may take to answer
    mcp: str = ""  # "1" / "true": serve the shopping tools over MCP at /gradio_api/mcp/
    # "Find every product in this photo": at most this many regions of a photo encoded (its cost), and the best
    # match a region needs to be shown as an item (measured with the offline encoder: docs/benchmarks.md)
    item_regions: int = 32
    item_min_score: float = 0.8
    # "together": a group of variants (Merchant's item_group_id, a Shopify handle's variants) is one result, shown
    # by its best-matching variant; "apart": each variant is a result of its own
    variants: str = "together"

    @property
    def variants_apart(self) -> bool:
        return self.variants.strip().lower() == "apart"

    @property
    def serves_mcp(self) -> bool:
        return self.mcp.strip().lower() in ("1", "true", "yes", "on")


@dataclass(frozen=True)
class LimitSettings:
    """A public deployment's cap on searches ("30/minute", "500/hour"; empty: none), per browser or API session and
    per client address, on the page, the API and the MCP tools alike."""

    per_session: str = ""
    per_address: str = ""


@dataclass(frozen=True)
class EventSettings:
    """What shoppers searched and opened, kept for the product team (storefront/events.py)."""

    record: str = "on"  # "off": nothing recorded, no file written
    file: Path | None = None  # default: events.sqlite beside the store's folder
    retention_days: int = 30
    max_mb: float = 200.0
    words: str = "on"  # "off": a search's typed words are not kept

    def path(self, store: Path | str) -> Path | None:
        """Where the events are kept; None when they are not."""
        if _off(self.record):
            return None
        if self.file is not None:
            return Path(self.file)
        location = str(store)
        return Path("data/events.sqlite") if location.startswith(("http://", "https://")) else \
            Path(location).parent / "events.sqlite"

    @property
    def keeps_words(self) -> bool:
        return not _off(self.words)


def _off(value: str) -> bool:
    return value.strip().lower() in ("off", "0", "false", "no")


# Each setting by the name its environment variable (PRODUCT_SEARCH_<NAME>) and its flag (--name) have always had:
# (section, field). The ranking knobs' names are their own (search.ranking.KNOBS).
NAMES: dict[str, tuple[str, str]] = {
    "store": ("store", "location"), "collection": ("store", "collection"), "demo_dir": ("store", "demo_dir"),
    "image_cache": ("store", "image_cache"), "batch_size": ("store", "batch_size"),
    "exact_limit": ("store", "exact_limit"), "duplicate_threshold": ("store", "duplicate_threshold"),
    "crash_probe": ("store", "crash_probe"), "nice": ("store", "nice"), "max_pictures": ("store", "max_pictures"),
    "model": ("model", "name"), "pretrained": ("model", "pretrained"), "precision": ("model", "precision"),
    "device": ("model", "device"), "port": ("app", "port"), "admin_password": ("app", "admin_password"),
    "saved_settings": ("app", "saved_settings"), "url_timeout": ("app", "url_timeout"), "mcp": ("app", "mcp"),
    "item_regions": ("app", "item_regions"), "item_min_score": ("app", "item_min_score"),
    "variants": ("app", "variants"),
    "limit_per_session": ("limits", "per_session"), "limit_per_address": ("limits", "per_address"),
    "events": ("events", "record"), "events_file": ("events", "file"),
    "events_retention_days": ("events", "retention_days"), "events_max_mb": ("events", "max_mb"),
    "events_words": ("events", "words"),
    **{knob.name: ("ranking", knob.name) for knob in KNOBS}}


@dataclass(frozen=True)
class Settings:
    """Everything that can be configured, in typed sections. Environment: PRODUCT_SEARCH_<NAME> (upper case), by
    the names of `NAMES`; `Settings.of(store=..., model=...)` takes those names too."""

    store: StoreSettings = StoreSettings()
    model: ModelSettings = ModelSettings()
    # How results are ranked unless a shopper, the product team or a caller says otherwise: one knob of
    # `search.ranking.KNOBS` a field, each set by PRODUCT_SEARCH_<KNOB> or saved from the Tuning page
    ranking: Ranking = Ranking()
    app: AppSettings = AppSettings()
    limits: LimitSettings = LimitSettings()
    events: EventSettings = EventSettings()

    def __post_init__(self) -> None:
        bounds = {**RANGES, **{knob.name: (knob.least, knob.most) for knob in KNOBS}}
        for name, (least, most) in bounds.items():
            value = self.value(name)
            if not math.isfinite(value) or (least is not None and value < least) or (most is not None and value > most):
                raise ConfigError("setting_range", name=name, value=value, bounds=_bounds(least, most),
                                  env=ENV_PREFIX + name.upper(), flag="--" + name.replace("_", "-"))
        for name, choices in CHOICES.items():
            if str(self.value(name)).strip().lower() not in choices:
                raise ConfigError("setting_choice", name=name, value=self.value(name), choices=", ".join(choices),
                                  env=ENV_PREFIX + name.upper())

    @classmethod
    def of(cls, **values: Any) -> Settings:
        """Settings from values by their names (`store`, `model`, `top_k`...), the rest defaults."""
        return cls().replaced(**values)

    def value(self, name: str) -> Any:
        """A setting by its name (`port`, `model`, `top_k`...)."""
        section, field = NAMES[name]
        return getattr(getattr(self, section), field)

    def replaced(self, **values: Any) -> Settings:
        """These settings with `values` by name, into their sections."""
        unknown = set(values) - set(NAMES)
        if unknown:
            raise TypeError(f"no setting named {', '.join(sorted(unknown))}")
        changed: dict[str, dict[str, Any]] = {}
        for name, value in values.items():
            section, field = NAMES[name]
            changed.setdefault(section, {})[field] = value
        return replace(self, **{section: replace(getattr(self, section), **fields_of)
                                for section, fields_of in changed.items()})

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for name, kind in _types().items():
            raw = environ.get(ENV_PREFIX + name.upper())
            if raw not in (None, ""):
                try:
                    values[name] = _convert(kind, raw)
                except ValueError:
                    raise ConfigError("setting_type", env=ENV_PREFIX + name.upper(), raw=raw, kind=kind) from None
        return cls.of(**values)

    def with_saved(self) -> Settings:
        """Override with the defaults an admin saved from the page, if any."""
        path = self.app.saved_settings
        if not path.is_file():
            return self
        try:
            saved = json.loads(path.read_text(encoding="utf-8"))
            types = _types()
            return self.replaced(**{k: _convert(types[k], v) for k, v in saved.items() if k in SAVABLE})
        except (ValueError, TypeError, AttributeError) as error:
            raise ConfigError("saved_unreadable", path=path, detail=error) from None

    def save(self, **values: Any) -> Settings:
        """These settings with `values` applied, written to `saved_settings` for the next start."""
        unknown = set(values) - set(SAVABLE)
        if unknown:
            raise ConfigError("not_savable", names=", ".join(sorted(unknown)), savable=", ".join(SAVABLE))
        updated = self.replaced(**values)
        path = self.app.saved_settings
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".part")
        saved = {**updated.ranking.values(), "model": updated.model.name}
        partial.write_text(json.dumps(saved, indent=2), encoding="utf-8")
        partial.replace(path)
        return updated

    def with_args(self, args: argparse.Namespace) -> Settings:
        """Override with the CLI flags that were given (those left at None are ignored)."""
        types = _types()
        return self.replaced(**{name: _convert(types[name], getattr(args, name)) for name in NAMES
                                if getattr(args, name, None) is not None})


def _types() -> dict[str, str]:
    """Each setting's type by its name, as the environment's text is read into it."""
    by_section = {section: {f.name: str(f.type) for f in fields(kind)} for section, kind in SECTIONS.items()}
    return {name: by_section[section][field] for name, (section, field) in NAMES.items()}


SECTIONS: dict[str, Any] = {"store": StoreSettings, "model": ModelSettings, "ranking": Ranking, "app": AppSettings,
                            "limits": LimitSettings, "events": EventSettings}


def _bounds(least: float | None, most: float | None) -> str:
    if least is not None and most is not None:
        return f"between {least:g} and {most:g}"
    return f"at least {least:g}" if least is not None else f"at most {most:g}"


def _convert(type_name: object, raw: Any) -> Any:
    kind = str(type_name)
    if kind.startswith("Path"):
        text = str(raw)
        # Path() would fold the address's "//" into "/", and the store would open as a folder named "http:"
        return text if "str" in kind and text.startswith(("http://", "https://")) else Path(text)
    if kind == "int":
        return int(raw)
    if kind == "float":
        return float(raw)
    return raw


def add_common_flags(parser: argparse.ArgumentParser) -> None:
    """The flags every entry point takes: where the store is and which model embeds."""
    parser.add_argument("--store", help=f"store directory, or http://host:port of a Chroma server (env "
                                        f"{ENV_PREFIX}STORE, default data/store)")
    parser.add_argument("--model", help="model preset (fast, quality, multilingual, offline; demo-world for the demo "
                                        "catalog only), open_clip name, "
                                        f"hf-hub:ORG/REPO or test-tiny (env {ENV_PREFIX}MODEL, default fast)")
    parser.add_argument("--pretrained", help="pretrained tag or local weights file for an open_clip name "
                                             f"(env {ENV_PREFIX}PRETRAINED)")
    parser.add_argument("--collection", help="collection name (default: one per model)")
    parser.add_argument("--precision", choices=["auto", "bf16", "fp16", "int8", "fp32"],
                        help="CLIP arithmetic: auto picks bf16 on CPUs with native bfloat16, and int8 on other CPUs "
                             "(fp16 on a GPU) where it measures faster than fp32 at load, fp32 otherwise (env "
                             f"{ENV_PREFIX}PRECISION)")
    parser.add_argument("--device", help="where CLIP runs: auto (a CUDA GPU, then Apple's MPS, then the CPU), cpu, "
                                         f"cuda, cuda:N or mps (env {ENV_PREFIX}DEVICE, default auto)")

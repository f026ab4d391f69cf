"""The one `Settings` object: defaults, overridden by environment variables, then by CLI flags."""
from __future__ import annotations

import argparse
import os
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Mapping

# preset -> (open_clip model name, pretrained tag)
MODEL_PRESETS: dict[str, tuple[str, str | None]] = {
    "fast": ("ViT-B-32", "laion2b_s34b_b79k"),
    "quality": ("hf-hub:Marqo/marqo-ecommerce-embeddings-B", None),
    "multilingual": ("xlm-roberta-base-ViT-B-32", "laion5b_s13b_b90k"),
}
ENV_PREFIX = "PRODUCT_SEARCH_"


class ConfigError(ValueError):
    """A setting has a value that cannot be used; the message names the setting."""


@dataclass(frozen=True)
class Settings:
    """Everything that can be configured. Environment: PRODUCT_SEARCH_<FIELD> (upper case)."""

    store: Path = Path("data/store")
    model: str = "fast"
    pretrained: str | None = None
    collection: str | None = None
    precision: str = "auto"
    demo_dir: Path = Path("data/demo-catalog")
    image_cache: Path = Path("data/image-cache")
    duplicate_threshold: float = 0.985
    port: int = 7860
    top_k: int = 12
    min_score: float = 0.0
    text_weight: float = 0.5
    batch_size: int = 32

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> "Settings":
        environ = os.environ if environ is None else environ
        values = {}
        for field in fields(cls):
            raw = environ.get(ENV_PREFIX + field.name.upper())
            if raw not in (None, ""):
                try:
                    values[field.name] = _convert(field.type, raw)
                except ValueError:
                    raise ConfigError(f"{ENV_PREFIX}{field.name.upper()}={raw!r} is not a valid {field.type}") from None
        return cls(**values)

    def with_args(self, args: argparse.Namespace) -> "Settings":
        """Override with the CLI flags that were given (those left at None are ignored)."""
        given = {f.name: _convert(f.type, getattr(args, f.name))
                 for f in fields(self) if getattr(args, f.name, None) is not None}
        return replace(self, **given)


def _convert(type_name: object, raw: object) -> object:
    kind = str(type_name)
    if kind.startswith("Path"):
        return Path(str(raw))
    if kind == "int":
        return int(raw)  # type: ignore[arg-type]
    if kind == "float":
        return float(raw)  # type: ignore[arg-type]
    return raw


def add_common_flags(parser: argparse.ArgumentParser) -> None:
    """The flags every entry point takes: where the store is and which model embeds."""
    parser.add_argument("--store", help=f"store directory (env {ENV_PREFIX}STORE, default data/store)")
    parser.add_argument("--model", help="model preset (fast, quality, multilingual, offline), open_clip name, "
                                        f"hf-hub:ORG/REPO or test-tiny (env {ENV_PREFIX}MODEL, default fast)")
    parser.add_argument("--pretrained", help="pretrained tag or local weights file for an open_clip name "
                                             f"(env {ENV_PREFIX}PRETRAINED)")
    parser.add_argument("--collection", help="collection name (default: one per model)")
    parser.add_argument("--precision", choices=["auto", "bf16", "fp32"],
                        help="CLIP arithmetic: auto picks bf16 on CPUs with native bfloat16 (env "
                             f"{ENV_PREFIX}PRECISION)")

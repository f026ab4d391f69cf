"""What `--precision auto` measured: each lower arithmetic the machine offers (bfloat16, int8 on a CPU; float16 on a
GPU) timed against float32 on the machine at hand, the fastest within cosine 0.995 of float32 chosen, and the
measurement kept per CPU (or GPU), torch version and model in the user's cache folder, so a start does not measure
twice. A CPU flag says what runs, not what is fastest: on an AMD EPYC with AVX512-BF16 and no AMX, int8 beat bfloat16
by 1.3-1.45x (issue 34)."""
from __future__ import annotations

import json
import logging
import os
import platform
from dataclasses import asdict, dataclass, replace
from pathlib import Path

log = logging.getLogger(__name__)
# A lower arithmetic is kept only where it measured at least this much faster than float32, and this close to it
LOW_GAIN = 1.2
LOW_COSINE = 0.995
FLAGS = ("avx2", "avx512f", "avx512_bf16", "amx_bf16", "avx512_vnni", "avx_vnni")  # what their speeds hang on


@dataclass(frozen=True)
class Trial:
    """One lower arithmetic against float32, on the machine at hand."""

    arithmetic: str
    gain: float  # float32's time over this one's
    cosine: float  # the least cosine between its vectors and float32's

    @property
    def acceptable(self) -> bool:
        return self.gain >= LOW_GAIN and self.cosine >= LOW_COSINE


@dataclass(frozen=True)
class Measurement:
    chosen: str
    trials: tuple[Trial, ...]
    cached: bool = False  # read from an earlier start's measurement

    @classmethod
    def of(cls, trials: list[Trial]) -> Measurement:
        """The fastest acceptable arithmetic, float32 where none is."""
        kept = [trial for trial in trials if trial.acceptable]
        return cls(max(kept, key=lambda trial: trial.gain).arithmetic if kept else "fp32", tuple(trials))

    @property
    def gain(self) -> float:
        """How much faster than float32 the chosen arithmetic measured (1 for float32 itself)."""
        return next((trial.gain for trial in self.trials if trial.arithmetic == self.chosen), 1.0)

    def summary(self) -> str:
        """What was measured, as the load log, `stats` and the Admin page say it."""
        trials = ", ".join(f"{one.arithmetic} {one.gain:.2f}x at cosine {one.cosine:.4f}" for one in self.trials)
        if not trials:
            return "auto found no lower arithmetic this model runs here: fp32"
        return f"auto measured {trials} against float32{' (an earlier start)' if self.cached else ''}: {self.chosen}"


def machine() -> str:
    """The CPU (its model and the flags the arithmetics hang on) or GPU, and torch's version."""
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text()
    except OSError:
        cpuinfo = ""
    name = next((line.split(":", 1)[1].strip() for line in cpuinfo.splitlines() if line.startswith("model name")),
                platform.processor() or platform.machine())
    flags = [flag for flag in FLAGS if f" {flag}" in cpuinfo]
    import torch  # only a CLIP encoder measures: the offline encoder's commands never load torch

    gpu = torch.cuda.get_device_name() if torch.cuda.is_available() else ""
    return f"{name} [{' '.join(flags)}] {gpu} torch {torch.__version__}".replace("  ", " ")


def cache_path() -> Path:
    """Beside the downloaded weights' caches: the user's cache folder (`XDG_CACHE_HOME`, or ~/.cache)."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "product-search" / "arithmetic.json"


def cached(key: str) -> Measurement | None:
    try:
        found = json.loads(cache_path().read_text()).get(key)
        if found is None:
            return None
        return replace(Measurement.of([Trial(**trial) for trial in found["trials"]]), cached=True)
    except (OSError, ValueError, KeyError, TypeError):  # none yet, or unreadable: measured again
        return None


def remember(key: str, measurement: Measurement) -> None:
    """Kept for the next start; a cache that cannot be written costs only the measuring again."""
    path = cache_path()
    try:
        kept = json.loads(path.read_text()) if path.exists() else {}
        kept[key] = {"trials": [asdict(trial) for trial in measurement.trials]}  # the choice is made again on reading
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(".tmp")
        temporary.write_text(json.dumps(kept, indent=1))
        temporary.replace(path)  # whole or not at all
    except (OSError, ValueError) as error:
        log.warning("could not keep the arithmetic measured in %s (%s): the next start measures again", path, error)

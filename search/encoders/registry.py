"""Every model describes itself: what the page calls it, what shoppers are told of its results, which languages its
text tower reads, whether it may serve only the demo catalog, whether it runs on torch. The indexer, the storefront
and the page ask a model's `ModelSpec`; none of them compares its name."""
from __future__ import annotations

from dataclasses import dataclass

from catalog.errors import UserError

ENGLISH_ONLY = frozenset({"en"})
ENGLISH_AND_CHINESE = frozenset({"en", "zh"})
# Words in an open_clip model name that mark a multilingual text tower (xlm-roberta-base-ViT-B-32, mt5...): the one
# place a name is read, for models the registry does not list
MULTILINGUAL_HINTS = ("xlm", "mt5", "multilingual", "chinese")
TORCH_DEVICES = ("auto", "cpu", "cuda", "mps")
Words = tuple[str, str]  # (English, Chinese)


@dataclass(frozen=True)
class ModelSpec:
    """A model as the rest of the code may know it."""

    name: str  # what a store records (an open_clip name, or one of the built-in models below)
    label: Words | None = None  # how the page names it; None: its name and weights
    notice: Words | None = None  # what shoppers are told of its results
    reads: frozenset[str] = ENGLISH_ONLY  # the languages its text tower reads; empty: it reads no text
    demo_catalog_only: bool = False  # trained on the demo catalog alone: never indexes another
    torch: bool = True  # an open_clip model (torch); False: the built-in offline encoder
    pretrained_weights: bool = True  # False: its vectors mean nothing learnt (the offline encoder, the tests' model)
    fixed_weights: str | None = None  # the weights label it always records (built-in models)

    def labelled(self, pretrained: str | None, lang: str = "en") -> str:
        if self.label is not None:
            return self.label[lang == "zh-CN"]
        return f"{self.name} ({pretrained})" if pretrained else self.name

    def said(self, lang: str) -> str | None:
        return None if self.notice is None else self.notice[lang == "zh-CN"]

    def check_device(self, device: str) -> None:
        """The same refusal of a device for every model: a name torch does not know, or any device but the CPU for a
        model that does not run on torch."""
        kind, _, number = device.partition(":")
        if kind not in TORCH_DEVICES or (number and (kind != "cuda" or not number.isdigit())):
            raise UserError("unknown_device", device=device)
        if not self.torch and kind not in ("auto", "cpu"):
            raise UserError("device_unused", device=device, model=self.name)


DEMO_NOTE: Words = ("trained only on the demo catalog's drawings", "只用演示目录的图画训练")
OFFLINE = ModelSpec("offline", torch=False, reads=frozenset(), pretrained_weights=False,
                    fixed_weights="colour-shape-v2")
# A small CLIP trained here on the demo catalog's drawings, with English and Chinese captions (tools/)
DEMO = ModelSpec(
    "demo-world", label=(f"demo-world ({DEMO_NOTE[0]})", f"demo-world（{DEMO_NOTE[1]}）"),
    notice=(f"Model demo-world: a small CLIP {DEMO_NOTE[0]} (its ten categories, fourteen colours and four patterns, "
            "in English and Chinese). It knows nothing else: for demos and tests only",
            "模型 demo-world：一个只用演示目录的图画训练的小型 CLIP（认识其中的十个类别、十四种颜色和四种图案，中英文皆可）。"
            "它不认识其他任何东西：仅供演示和测试"),
    reads=ENGLISH_AND_CHINESE, demo_catalog_only=True)
# The tests' tiny CLIP: random weights from a fixed seed, through exactly the code real weights go through
TEST = ModelSpec("test-tiny", notice=("test model with random weights: results are meaningless",
                                      "随机权重的测试模型：结果没有意义"),
                 pretrained_weights=False, fixed_weights="random-seed-1234")
BUILT_IN = {spec.name: spec for spec in (OFFLINE, DEMO, TEST)}


def spec_of(model: str) -> ModelSpec:
    """The spec of a model by the name a store records (or `--model` gives for the built-in ones)."""
    if model in BUILT_IN:
        return BUILT_IN[model]
    multilingual = any(hint in model.lower() for hint in MULTILINGUAL_HINTS)
    return ModelSpec(model, reads=ENGLISH_AND_CHINESE if multilingual else ENGLISH_ONLY)

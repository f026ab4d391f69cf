"""Train `demo-world`: a small CLIP that knows the demo catalog's world (its ten categories, fourteen colours and four
patterns, in English and Chinese) and nothing else, so that tests and screenshots of the CLIP path mean something
on machines where no pretrained weights can be downloaded.

    python tools/train_demo_clip.py [--steps 2200] [--seed 20261130]
    python tools/train_demo_clip.py --evaluate     # the held-out report of the committed weights
    python tools/train_demo_clip.py --out FILE     # weights elsewhere, with their SHA-256 (does a run repeat?)

The data: pictures drawn by the demo catalog's own code (`catalog.demo.draw_product`) in every category, colour,
pattern and accent, each with a pose, size and background of its own (a light studio one mostly, any colour
sometimes) and re-saved as JPEG at a random quality; captions in English and Chinese written from the picture's
attributes, whole ("a red striped coffee mug", "红色条纹咖啡马克杯") or in part ("red mug", "红色 马克杯", "a photo of
a mugs"...), never naming a brand. Each step pairs every picture with a caption that fits no other picture of
the batch, so open_clip's contrastive loss never pushes apart a picture and a caption that describes it.

The model: open_clip's own `CLIP` classes, configured by `search/encoders/model_configs/demo-world.json`, trained
with open_clip's `ClipLoss`. Written to `search/encoders/weights/demo-world.safetensors` (float16, under 10 MB)
with `demo-world.json` beside it: the seed, the data recipe, the steps, the loss along the way and the held-out
report. Deterministic given the seed, the step count and the machine's thread count. CI never trains: it loads
the committed file.
"""
from __future__ import annotations

import argparse
import hashlib
import io
import json
import math
import random
import tempfile
import time
from pathlib import Path

import numpy as np
import open_clip
import torch
from open_clip.loss import ClipLoss
from PIL import Image
from safetensors.torch import save_file

import search.encoders.clip  # noqa: F401  (registers demo-world's model config with open_clip)
from catalog.demo import CATEGORIES, CHINESE, COLOURS, PATTERNS, Style, demo_products, draw_product
from search.recognise import PROMPTS

ROOT = Path(__file__).resolve().parents[1]
MODEL = "demo-world"
WEIGHTS = ROOT / "search" / "encoders" / "weights" / "demo-world.safetensors"
RECORD = WEIGHTS.with_suffix(".json")
SEED = 20261130
SIDE = 64  # the model's input (demo-world.json)
PER_TRIPLE = 48  # pictures drawn per (category, colour, pattern): 560 of them
BATCH = 256
MEAN = torch.tensor(open_clip.constants.OPENAI_DATASET_MEAN).view(1, 3, 1, 1)
STD = torch.tensor(open_clip.constants.OPENAI_DATASET_STD).view(1, 3, 1, 1)

SHORT = {"Shirts": "shirt", "Mugs": "mug", "Sneakers": "sneakers", "Handbags": "handbag", "Lamps": "lamp",
         "Caps": "cap", "Watches": "watch", "Backpacks": "backpack", "Sunglasses": "sunglasses", "Bottles": "bottle"}
# The words shoppers use for each colour; a word shared by two colours (blue) fits both
COLOUR_WORDS = {"Navy": ("navy", "navy blue", "dark blue", "blue"), "Sky Blue": ("sky blue", "light blue", "blue"),
                "Forest Green": ("forest green", "dark green", "green"), "Mustard": ("mustard", "yellow"),
                "Grey": ("grey", "gray"), "Teal": ("teal", "blue green"), "Beige": ("beige", "cream")}
COLOUR_WORDS_ZH = {"Navy": ("藏青色", "深蓝色", "蓝色"), "Sky Blue": ("天蓝色", "浅蓝色", "蓝色"),
                   "Forest Green": ("墨绿色", "绿色"), "Mustard": ("芥末黄", "黄色")}
PATTERN_WORDS = {"Solid": ("solid", "plain"), "Striped": ("striped",), "Dotted": ("dotted", "polka dot"),
                 "Checked": ("checked", "checkered")}


def colour_words(colour: str, chinese: bool) -> tuple[str, ...]:
    if chinese:
        return COLOUR_WORDS_ZH.get(colour, (CHINESE[colour],))
    return COLOUR_WORDS.get(colour, (colour.lower(),))


def meaning(word: str, chinese: bool) -> frozenset[str]:
    """Every colour a colour word fits ("blue": Navy and Sky Blue)."""
    return frozenset(c for c in COLOURS if word in colour_words(c, chinese))


# A caption: its text and what a picture must be to fit it (category, colours it may be, pattern; None: any)
Caption = tuple[str, tuple[str | None, frozenset[str] | None, str | None]]


def captions(category: str, colour: str, pattern: str, rng: random.Random) -> list[Caption]:
    """Captions of a picture, most specific first, in a random language and wording."""
    chinese = rng.random() < 0.4
    word = rng.choice(colour_words(colour, chinese))
    colours = meaning(word, chinese)
    noun = CATEGORIES[category][0]
    if chinese:
        whole = f"{word}{CHINESE[pattern]}{CHINESE[noun]}"
        thing = rng.choice((CHINESE[category], CHINESE[noun]))
        parts = [(f"{word}{rng.choice(('', ' '))}{thing}", (category, colours, None)),
                 (f"{CHINESE[pattern]}{thing}", (category, None, pattern)),
                 (thing, (category, None, None)), (word, (None, colours, None))]
    else:
        patterned = rng.choice(PATTERN_WORDS[pattern])
        whole = f"a {word} {patterned} {noun.lower()}"
        thing = rng.choice((SHORT[category], noun.lower()))
        parts = [(rng.choice((f"{word} {thing}", f"a {word} {thing}", f"a photo of a {word} {thing}")),
                  (category, colours, None)),
                 (f"{patterned} {thing}", (category, None, pattern)),
                 (rng.choice((PROMPTS["category"].format(category.lower()), thing)), (category, None, None)),
                 (rng.choice((PROMPTS["colour"].format(word), word)), (None, colours, None))]
    rng.shuffle(parts)
    return [(whole, (category, colours, pattern)), *parts] if rng.random() < 0.35 else \
        [*parts, (whole, (category, colours, pattern))]


def fits(what: tuple, category: np.ndarray, colour: np.ndarray, pattern: np.ndarray) -> np.ndarray:
    """Which pictures of a batch (given by their attributes' indexes) fit a caption's requirement."""
    wanted_category, wanted_colours, wanted_pattern = what
    mask = np.ones(len(category), bool)
    if wanted_category is not None:
        mask &= category == CATEGORY_INDEX[wanted_category]
    if wanted_colours is not None:
        mask &= np.isin(colour, [COLOUR_INDEX[c] for c in wanted_colours])
    if wanted_pattern is not None:
        mask &= pattern == PATTERN_INDEX[wanted_pattern]
    return mask


CATEGORY_INDEX = {name: i for i, name in enumerate(CATEGORIES)}
COLOUR_INDEX = {name: i for i, name in enumerate(COLOURS)}
PATTERN_INDEX = {name: i for i, name in enumerate(PATTERNS)}
TRIPLES = [(c, k, p) for c in CATEGORIES for k in COLOURS for p in PATTERNS]


def draw(category: str, colour: str, pattern: str, rng: random.Random, side: int = SIDE) -> Image.Image:
    """One picture as a shopper's photo of the product might show it: posed, sized, on some background,
    JPEG-compressed, `side` pixels square (the model's input size for training)."""
    accent = rng.choice([c for c in COLOURS if c != colour])
    studio = rng.random() < 0.75
    background = tuple(rng.randint(215, 255) for _ in range(3)) if studio else \
        tuple(rng.randint(0, 255) for _ in range(3))
    picture = draw_product(category, Style(colour, accent, pattern, background, rng.uniform(-1, 1)))
    scale = rng.uniform(0.65, 1.05)
    scaled = round(picture.width * scale)
    turned = picture.resize((scaled, scaled), Image.Resampling.BILINEAR).rotate(
        rng.uniform(-12, 12), resample=Image.Resampling.BILINEAR, fillcolor=background)
    canvas = Image.new("RGB", picture.size, background)
    shift = picture.width - scaled
    canvas.paste(turned, (rng.randint(min(0, shift), max(0, shift)) if shift else 0,
                          rng.randint(min(0, shift), max(0, shift)) if shift else 0))
    buffer = io.BytesIO()
    canvas.save(buffer, "JPEG", quality=rng.randint(35, 95))
    return Image.open(buffer).convert("RGB").resize((side, side), Image.Resampling.BICUBIC)


def as_batch(pictures: list[Image.Image]) -> torch.Tensor:
    return torch.from_numpy(np.stack([np.asarray(p, np.uint8) for p in pictures])).permute(0, 3, 1, 2)


def normalised(pixels: torch.Tensor) -> torch.Tensor:
    return (pixels.float() / 255 - MEAN) / STD


def draw_bank(seed: int, per_triple: int) -> tuple[torch.Tensor, np.ndarray]:
    """`per_triple` pictures of every (category, colour, pattern), as uint8 tensors, with their triple's index."""
    rng = random.Random(seed)
    pictures, owners = [], []
    began = time.perf_counter()
    for index, (category, colour, pattern) in enumerate(TRIPLES):
        for _ in range(per_triple):
            pictures.append(draw(category, colour, pattern, rng))
            owners.append(index)
        if index % 56 == 55:
            print(f"  drawn {len(pictures)} pictures in {time.perf_counter() - began:.0f} s", flush=True)
    return as_batch(pictures), np.array(owners)


def batch_captions(triples: list[int], rng: random.Random) -> tuple[list[str], list[tuple]]:
    """A caption for each picture of the batch that fits it and no other picture of the batch, with what each
    caption asks for."""
    category = np.array([CATEGORY_INDEX[TRIPLES[t][0]] for t in triples])
    colour = np.array([COLOUR_INDEX[TRIPLES[t][1]] for t in triples])
    pattern = np.array([PATTERN_INDEX[TRIPLES[t][2]] for t in triples])
    chosen, asked = [], []
    for t in triples:
        fitting = [(text, what) for text, what in captions(*TRIPLES[t], rng)
                   if fits(what, category, colour, pattern).sum() == 1]
        category_name, colour_name, pattern_name = TRIPLES[t]
        text, what = fitting[0] if fitting else (exact(*TRIPLES[t]),
                                                 (category_name, frozenset({colour_name}), pattern_name))
        chosen.append(text)
        asked.append(what)
    return chosen, asked


def nearness_targets(asked: list[tuple], triples: list[int]) -> torch.Tensor:
    """For each caption, how the batch's pictures should rank: the one it fits first (0.6 of the weight), then
    those of its category (0.3, shared), then those of its colour (0.1, shared). A shopper who types "red mug"
    wants the red mug, then other mugs, then other red things; the contrastive loss alone says only the first."""
    category = np.array([CATEGORY_INDEX[TRIPLES[t][0]] for t in triples])
    colour = np.array([COLOUR_INDEX[TRIPLES[t][1]] for t in triples])
    pattern = np.array([PATTERN_INDEX[TRIPLES[t][2]] for t in triples])
    targets = np.zeros((len(asked), len(triples)), np.float32)
    for row, what in enumerate(asked):
        fit = fits(what, category, colour, pattern)
        same_category = ~fit & (category == CATEGORY_INDEX[what[0]]) if what[0] else np.zeros_like(fit)
        same_colour = ~fit & ~same_category & np.isin(colour, [COLOUR_INDEX[c] for c in what[1]]) \
            if what[1] else np.zeros_like(fit)
        for mask, weight in ((fit, 0.6), (same_category, 0.3), (same_colour, 0.1)):
            if mask.any():
                targets[row, mask] = weight / mask.sum()
        targets[row] /= targets[row].sum()
    return torch.from_numpy(targets)


def exact(category: str, colour: str, pattern: str) -> str:
    """The whole caption in each attribute's own first word, which fits one (category, colour, pattern) only."""
    return f"a {colour_words(colour, False)[0]} {PATTERN_WORDS[pattern][0]} {CATEGORIES[category][0].lower()}"


def label_prompts(tokenizer) -> dict[str, torch.Tensor]:
    """The sentences the app reads a photo's category and colour with (`search.recognise.PROMPTS`), tokenised, in
    English; and the same labels in Chinese."""
    return {"category": tokenizer([PROMPTS["category"].format(c.lower()) for c in CATEGORIES]),
            "colour": tokenizer([PROMPTS["colour"].format(c.lower()) for c in COLOURS]),
            "category_zh": tokenizer([CHINESE[c] for c in CATEGORIES]),
            "colour_zh": tokenizer([CHINESE[c] for c in COLOURS])}


def labels_loss(model, image_features: torch.Tensor, logit_scale: torch.Tensor, prompts: dict[str, torch.Tensor],
                triples: list[int]) -> torch.Tensor:
    """Each picture against every category's and every colour's sentence: the same contrastive cross-entropy,
    with the labels' sentences as the other side. A caption naming only a category or a colour never fits just one
    picture of a batch, so without this the zero-shot sentences would never be trained."""
    wanted = {"category": torch.tensor([CATEGORY_INDEX[TRIPLES[t][0]] for t in triples]),
              "colour": torch.tensor([COLOUR_INDEX[TRIPLES[t][1]] for t in triples])}
    total = torch.zeros(())
    for name, tokens in prompts.items():
        labels = torch.nn.functional.normalize(model.encode_text(tokens), dim=-1)
        total = total + torch.nn.functional.cross_entropy(logit_scale * image_features @ labels.T,
                                                          wanted[name.removesuffix("_zh")])
    return total / len(prompts)


def train(steps: int, seed: int, per_triple: int = PER_TRIPLE, weights: Path = WEIGHTS) -> dict:
    torch.manual_seed(seed)
    rng = random.Random(seed)
    print(f"drawing {per_triple * len(TRIPLES)} pictures (seed {seed})", flush=True)
    drawing = time.perf_counter()
    bank, owners = draw_bank(seed, per_triple)
    drawing_minutes = (time.perf_counter() - drawing) / 60
    by_triple = [np.flatnonzero(owners == t) for t in range(len(TRIPLES))]
    model = open_clip.create_model(MODEL)
    tokenizer = open_clip.get_tokenizer(MODEL)
    decay = [p for n, p in model.named_parameters() if p.ndim >= 2 and "embedding" not in n]
    rest = [p for n, p in model.named_parameters() if not (p.ndim >= 2 and "embedding" not in n)]
    optimiser = torch.optim.AdamW([{"params": decay, "weight_decay": 0.05}, {"params": rest, "weight_decay": 0.0}],
                                  lr=2e-3, betas=(0.9, 0.98), eps=1e-6)
    warmup = max(1, steps // 20)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimiser, lambda s: min(1.0, (s + 1) / warmup) * 0.5 * (
        1 + math.cos(math.pi * min(1.0, s / steps))))
    loss_of = ClipLoss()  # float32: at this size bfloat16 measured no faster here, and float32 repeats anywhere
    prompts = label_prompts(tokenizer)
    log, began = [], time.perf_counter()
    model.train()
    for step in range(steps):
        triples = rng.sample(range(len(TRIPLES)), BATCH)
        pictures = bank[[rng.choice(by_triple[t]) for t in triples]]
        if rng.random() < 0.5:
            pictures = pictures.flip(-1)
        chosen, asked = batch_captions(triples, rng)
        texts = tokenizer(chosen)
        image_features, text_features, logit_scale = model(normalised(pictures), texts)
        nearness = torch.nn.functional.cross_entropy(logit_scale * text_features @ image_features.T,
                                                     nearness_targets(asked, triples))
        loss = loss_of(image_features, text_features, logit_scale) + nearness + \
            labels_loss(model, image_features, logit_scale, prompts, triples)
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        optimiser.step()
        schedule.step()
        with torch.no_grad():
            model.logit_scale.clamp_(0, math.log(100))
        if step % 100 == 0 or step == steps - 1:
            minutes = (time.perf_counter() - began) / 60
            log.append({"step": step, "loss": round(loss.item(), 4), "minutes": round(minutes, 2)})
            print(f"step {step}: loss {loss.item():.3f}, {minutes:.1f} min", flush=True)
    model.eval()
    weights.parent.mkdir(parents=True, exist_ok=True)
    save_file({name: tensor.detach().half().contiguous() for name, tensor in model.state_dict().items()},
              str(weights))
    return {"seed": seed, "steps": steps, "batch": BATCH, "pictures_drawn": int(len(owners)),
            "threads": torch.get_num_threads(), "drawing_minutes": round(drawing_minutes, 1),
            "training_minutes": round((time.perf_counter() - began) / 60, 1), "loss": log}


def evaluate(seed: int) -> dict:
    """Held-out quality through the app's own encoder (weights file, open_clip preprocessing), on pictures drawn
    with a seed the training never used, and on the demo catalog's own pictures."""
    from search.encoders import load_encoder
    from search.recognise import Recogniser
    encoder = load_encoder(MODEL)
    rng = random.Random(seed + 1)
    held_out = [(t, draw(*TRIPLES[t], rng, side=256)) for t in rng.choices(range(len(TRIPLES)), k=1000)]
    vectors = encoder.encode_images([picture for _, picture in held_out])
    recogniser = Recogniser(encoder, list(CATEGORIES), list(COLOURS))
    read = [recogniser.read(v, {"category": 1, "colour": 1}) for v in vectors]
    category_right = np.mean([g[0].label == TRIPLES[t][0] for (t, _), g in zip(held_out, read)])
    colour_right = np.mean([g[1].label == TRIPLES[t][1] for (t, _), g in zip(held_out, read)])
    products = demo_products()
    catalog = encoder.encode_images([draw_product(p.category, s) for p, s in products])
    redrawn = encoder.encode_images([draw(p.category, s.colour, s.pattern, rng, side=256) for p, s in products])
    recall_1 = np.mean((redrawn @ catalog.T).argmax(axis=1) == np.arange(len(products)))
    report = {"zero_shot_category": round(float(category_right), 3), "zero_shot_colour": round(float(colour_right), 3),
              "image_to_image_recall_at_1": round(float(recall_1), 3)}
    for language, chinese in (("en", False), ("zh", True)):
        report[f"text_{language}"] = _text_queries(encoder, products, catalog, chinese)
    report.update(_app_text_queries(encoder))
    return report


def _query_text(category: str, colour: str, chinese: bool) -> str:
    return f"{CHINESE[colour]} {CHINESE[category]}" if chinese else f"{colour.lower()} {SHORT[category]}"


def _app_text_queries(encoder) -> dict:
    """The same queries as a shopper types them into the app: the demo catalog indexed, searched with the default
    ranking (the text's vector fused with its words, BM25)."""
    from catalog.demo import write_demo_catalog
    from search.indexer import Indexer
    from search.ranking import Ranking
    from search.service import Query, SearchService
    from search.store.collection import ProductStore
    with tempfile.TemporaryDirectory() as folder:
        store = ProductStore(Path(folder) / "store", encoder.info, for_indexing=True)
        Indexer(encoder, store).index_feed(write_demo_catalog(Path(folder) / "demo"))
        service, report = SearchService(encoder, store), {}
        in_catalog = {(product.category, style.colour) for product, style in demo_products()}
        for language, chinese in (("en", False), ("zh", True)):
            precision, first = [], []
            for category in CATEGORIES:
                for colour in COLOURS:
                    hits = service.search(Query(text=_query_text(category, colour, chinese)),
                                          ranking=Ranking(top_k=5)).hits
                    precision.append(np.mean([hit.product.category == category for hit in hits]))
                    if (category, colour) in in_catalog:
                        first.append(hits[0].product.category == category and hits[0].product.colour == colour)
            report[f"app_search_{language}"] = {"category_precision_at_5": round(float(np.mean(precision)), 3),
                                                "asked_colour_and_category_first": round(float(np.mean(first)), 3)}
    return report


def _text_queries(encoder, products, catalog: np.ndarray, chinese: bool) -> dict:
    """Every colour x category query ("red mug", "红色 马克杯") over the demo catalog's pictures: category
    precision@5, and how often a product of the asked colour and category comes first (where the catalog has one)
    and all such products come before any other."""
    precision, first, all_first, asked = [], [], [], 0
    for category in CATEGORIES:
        for colour in COLOURS:
            text = _query_text(category, colour, chinese)
            order = np.argsort(-(catalog @ encoder.encode_texts([text])[0]))
            precision.append(np.mean([products[i][0].category == category for i in order[:5]]))
            wanted = {i for i, (p, s) in enumerate(products) if p.category == category and s.colour == colour}
            if wanted:
                asked += 1
                first.append(order[0] in wanted)
                all_first.append(set(order[:len(wanted)].tolist()) == wanted)
    return {"queries": len(precision), "category_precision_at_5": round(float(np.mean(precision)), 3),
            "asked_colour_and_category_first": round(float(np.mean(first)), 3),
            "all_of_them_first": round(float(np.mean(all_first)), 3), "queries_with_such_products": asked}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=2200)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--per-triple", type=int, default=PER_TRIPLE, help="pictures drawn per category, colour "
                                                                          "and pattern")
    parser.add_argument("--evaluate", action="store_true", help="only report on the committed weights")
    parser.add_argument("--out", type=Path, help="write the weights here, and only them (to check that a run "
                                                 "repeats: compare the printed SHA-256)")
    args = parser.parse_args()
    if args.out:
        train(args.steps, args.seed, args.per_triple, weights=args.out)
        print("sha256", hashlib.sha256(args.out.read_bytes()).hexdigest())
        return
    record = json.loads(RECORD.read_text()) if args.evaluate else train(args.steps, args.seed, args.per_triple)
    record["held_out"] = evaluate(record["seed"])
    record["weights_mb"] = round(WEIGHTS.stat().st_size / 1e6, 2)
    RECORD.write_text(json.dumps(record, indent=2, ensure_ascii=False) + "\n")
    print(json.dumps(record["held_out"], indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()

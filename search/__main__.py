"""Command line: `python -m search index|query|eval|stats|duplicates|delete`. Errors exit 2 with one clear line.
`stats`, `duplicates` and `delete` open the store as it recorded itself (search/recorded.py) and never load a model;
the commands that encode import it when they start (torch and open_clip take about 6 s); `query` loads it in a
child process while this one imports Chroma (search/encoders/in_child.py)."""
from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tqdm import tqdm

from catalog.errors import UserError
from catalog.feed_flags import add_feed_flags, feed_options
from catalog.formats import RowError, title_hint
from search.config import Settings, add_common_flags
from search.encoders.in_child import start_encoder
from search.ranking import KNOBS
from search.store import crash_probe
from search.store.errors import storage_trouble

if TYPE_CHECKING:
    from search.service import SearchService
    from search.store.collection import ProductStore

USER_ERRORS = (UserError, OSError)  # an unreadable file is the user's to fix too
STOPPED = 3  # the exit code of an index run stopped by a signal at a batch's end: run it again to go on


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m search", description="Visual product search.")
    commands = parser.add_subparsers(dest="command", required=True)
    index = commands.add_parser("index", help="index a catalog feed")
    add_feed_flags(index)
    index.add_argument("--prune", action="store_true", help="delete stored products the feed no longer lists")
    index.add_argument("--report", help="write the summary as JSON to this file")
    index.add_argument("--batch-size", type=int,
                       help="pictures encoded at once (default: measured on the run's first pictures)")
    index.add_argument("--duplicate-threshold", type=float, help="picture similarity that makes two listings "
                                                                  "duplicates (default 0.985)")
    index.add_argument("--nice", type=int, help="lower the run's CPU priority by this much, 0 to 19, so that an app "
                                                "serving on this machine answers its shoppers first (default 10)")
    index.add_argument("--max-pictures", type=int, help="a product's pictures indexed, 1 to 250; those beyond are "
                                                        "reported (default 10)")
    query = commands.add_parser("query", help="search by photo, text or both")
    query.add_argument("--image", help="path or http(s) address of the query photo")
    query.add_argument("--text", help="query text")
    for knob in KNOBS:  # every ranking knob, as --top-k, --min-score...
        query.add_argument(f"--{knob.name.replace('_', '-')}", type=int if knob.whole else float,
                           help=f"{(knob.info or knob.label)[0]} ({knob.least:g} to {knob.most:g}, default "
                                f"{knob.default:g})")
    query.add_argument("--brand", action="append", default=[])
    query.add_argument("--category", action="append", default=[])
    query.add_argument("--colour", "--color", action="append", default=[], dest="colour")
    query.add_argument("--variants", choices=["together", "apart"], help="a group of variants as one result, by its "
                                                                         "best variant (default), or each apart")
    query.add_argument("--min-price", type=float)
    query.add_argument("--max-price", type=float)
    query.add_argument("--in-stock", action="store_true")
    query.add_argument("--json", action="store_true", help="print the results as JSON")
    evaluation = commands.add_parser("eval", help="recall@k, mAP@10, MRR (ranked as the saved settings rank) and a "
                                     "threshold sweep on labelled queries")
    evaluation.add_argument("labels", help="CSV: image, text, relevant_ids (a|b), relevant_category")
    evaluation.add_argument("--depth", type=int, default=50, help="results retrieved per query (default 50)")
    evaluation.add_argument("--plot", help="write the precision/recall curve to this PNG")
    evaluation.add_argument("--keyword-weight", type=float,
                            help="the keyword weight (default: the saved settings', 0.5 unless changed)")
    commands.add_parser("stats", help="what the store holds and which model built it")
    commands.add_parser("check", help="the store's integrity: its database, every vector, its indexes agreeing")
    backup = commands.add_parser("backup", help="every product, vector and record into a new folder, verified")
    backup.add_argument("destination", type=Path, help="a folder that does not exist yet")
    restore = commands.add_parser("restore", help="a backup, checked, into a new store (`--store`)")
    restore.add_argument("source", type=Path, help="a folder `backup` wrote")
    duplicates = commands.add_parser("duplicates", help="list groups of different ids with near-identical pictures")
    duplicates.add_argument("--duplicate-threshold", type=float, help="default 0.985")
    delete = commands.add_parser("delete", help="delete products by id")
    delete.add_argument("ids", nargs="+")
    for command in commands.choices.values():
        add_common_flags(command)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    location = args.store or "the store"
    try:
        settings = Settings.from_env().with_args(args)
        location = settings.store.location
        if settings.store.probes_crashes:
            crash_probe.enable(location)  # read in a child while this process imports the rest
        if args.command == "restore":
            return _restore(settings, args)
        if args.command in READING:
            from search.recorded import open_recorded
            store, note = _opened_to_check(settings) if args.command == "check" else open_recorded(settings)
            if store is None:
                return 1
            if note:
                print(f"note: {note}", file=sys.stderr)
            return READING[args.command](store, settings, args)
        if args.command == "index" and settings.store.nice and hasattr(os, "nice"):
            os.nice(settings.store.nice)  # before the model loads: every thread started since is as nice
        service = _service(settings, args)
        if service.encoder.info.notice:
            print(f"warning: {service.encoder.info.notice}", file=sys.stderr)
        return ENCODING[args.command](service, settings, args)
    except Exception as error:  # a storage problem or the user's, in one line; a fault of ours, with its traceback
        said = storage_trouble(error, location) or (error if isinstance(error, USER_ERRORS) else None)
        if said is None:
            raise
        print(f"error: {said}", file=sys.stderr)
        return 2


def _service(settings: Settings, args: argparse.Namespace) -> SearchService:
    """The encoder and the store of a command that encodes. A query encodes once: its model loads in a child
    process while this one imports Chroma, the keyword index and the exact index's torch (about 3 s here)."""
    loading = None
    if args.command == "query":
        model = settings.model
        loading = start_encoder(model.name, model.pretrained, model.precision, model.device)
        import search.store.exact  # noqa: F401 - meanwhile
    from search.service import build_service
    return build_service(settings, for_indexing=args.command == "index", encoder=loading() if loading else None)


@contextmanager
def stopped_by_signals() -> Iterator[threading.Event]:
    """An event set by SIGTERM or Ctrl-C (SIGINT) while the block runs, instead of ending the process mid-write."""
    stop = threading.Event()
    previous = {number: signal.signal(number, lambda *_: stop.set()) for number in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield stop
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


def _index(service: SearchService, settings: Settings, args: argparse.Namespace) -> int:
    from search.duplicates import find_duplicates
    from search.fetch import ImageFetcher
    from search.indexer import Indexer, estimate_rows
    fetcher = ImageFetcher(settings.store.image_cache)
    indexer = Indexer(service.encoder, service.store, fetcher, batch_size=settings.store.batch_size,
                      max_pictures=settings.store.max_pictures)
    options = feed_options(args)
    if hint := title_hint(args.feed, options["column_map"]):
        print(f"hint: {hint}", file=sys.stderr)
    with tqdm(total=estimate_rows(args.feed), unit="row", desc="indexing") as bar, stopped_by_signals() as stop:
        summary = indexer.index_feed(args.feed, args.images_root, args.prune,
                                     lambda done: bar.update(done - bar.n), stop, **options)
    if summary.stopped:
        print(f"stopped as asked, at a batch's end: {summary}; run the same command again to go on from there",
              file=sys.stderr)
        return STOPPED
    summary.duplicates = find_duplicates(service.store, settings.store.duplicate_threshold, summary.encoded)
    print(summary)
    if summary.encoded:
        print(f"encoder: {summary.batch_size}")
    for reason in summary.skipped:
        print(f"  skipped {reason}")
    for reason in summary.left_out:
        print(f"  indexed without a picture: {reason}")
    _print_duplicates(summary.duplicates)
    if args.report:
        def reported(rows: list[RowError]) -> list[dict[str, Any]]:  # each row's problem, in English
            return [{"source": row.source, "line": row.line, "product_id": row.product_id, "reason": row.reason,
                     "unit": row.unit} for row in rows]
        report = {**asdict(summary), "skipped": reported(summary.skipped), "left_out": reported(summary.left_out)}
        Path(args.report).write_text(json.dumps(report, indent=2, ensure_ascii=False), encoding="utf-8")
    return 0


def _print_duplicates(groups: list[list[str]]) -> None:
    if groups:
        print(f"{len(groups)} groups of listings with near-identical pictures:")
    for group in groups:
        print("  " + ", ".join(group))


def _duplicates(store: ProductStore, settings: Settings, args: argparse.Namespace) -> int:
    from search.duplicates import find_duplicates
    groups = find_duplicates(store, settings.store.duplicate_threshold)
    _print_duplicates(groups)
    if not groups:
        print("no duplicate listings")
    return 0


def _eval(service: SearchService, settings: Settings, args: argparse.Namespace) -> int:
    """The labelled queries as given; the text queries also by their words alone, by CLIP alone and hybrid."""
    from search.evaluate import evaluate_ranking, plot_curve, read_labels
    labelled = read_labels(args.labels)
    ranking = settings.ranking if args.keyword_weight is None else replace(settings.ranking,
                                                                             keyword_weight=args.keyword_weight)
    report = evaluate_ranking(service, labelled, ranking, args.depth)
    print(report.table())
    texts = [item for item in labelled if item.query.text and item.query.image is None]
    if texts:
        print(f"\ntext queries ({len(texts)}), searched three ways:")
        for name, weight in (("keywords only", 1.0), ("vectors only", 0.0),
                             (f"hybrid (keyword weight {ranking.keyword_weight:g})", ranking.keyword_weight)):
            if weight < 1 and not service.encoder.reads_text:
                print(f"{name}: this model reads no text")
                continue
            report = evaluate_ranking(service, texts, replace(ranking, keyword_weight=weight), args.depth)
            print(f"{name}: {report.summary()}")
    if args.plot:
        print(f"plot: {plot_curve(report, args.plot, ranking.min_score)}")
    return 0


# The filters' fields as the CLI's flags name them, so a problem names the flag that was given
FLAGS = {"min_price": "--min-price", "max_price": "--max-price", "brands": "--brand", "categories": "--category",
         "colours": "--colour"}


def _query(service: SearchService, settings: Settings, args: argparse.Namespace) -> int:
    from search.choices import FilterChoice, validated
    from search.fetch import download_photo
    from search.service import KEYWORDS_ONLY, Query
    asked = {"brands": args.brand, "categories": args.category, "colours": args.colour, "min_price": args.min_price,
             "max_price": args.max_price, "in_stock": args.in_stock}
    try:  # checked as every front end's filters are
        filters = validated(FilterChoice, asked).filters()
    except UserError as error:
        raise error.renamed(FLAGS) from None
    image = download_photo(args.image, settings.app.url_timeout) if "://" in (args.image or "") else args.image
    response = service.search(Query(image, args.text), filters, settings.ranking)
    if response.keywords_only:
        print(f"note: {KEYWORDS_ONLY[response.keywords_only]}", file=sys.stderr)
    rows = [{"id": h.product.id, "title": h.product.title or None, "brand": h.product.brand or None,
             "category": h.product.category or None, "price": h.product.price, "currency": h.product.currency or None,
             "score": round(h.score, 6), "matched_words": list(h.matched), "picture": h.picture,
             "pictures": list(h.product.pictures), "variant_of": h.product.group or None} for h in response.hits]
    if args.json:  # a field the product has no value for is null, never an invented "" or 0
        print(json.dumps(rows, ensure_ascii=False, indent=2))
    else:
        for rank, (row, hit) in enumerate(zip(rows, response.hits), start=1):
            product = hit.product
            facts = " | ".join(part for part in (product.title, product.brand, product.price_label()) if part)
            print(f"{rank:>3}. {row['score']:.3f}  {row['id']}  {facts}")
        print(f"{len(rows)} results; " + ", ".join(f"{k} {v:.0f} ms" for k, v in response.timings_ms.items()),
              file=sys.stderr)
    return 0


def _stats(store: ProductStore, settings: Settings, args: argparse.Namespace) -> int:
    from search.recorded import describe
    for label, value in describe(store):
        print(f"{label + ':':<12} {value}")
    return 0


def _opened_to_check(settings: Settings) -> tuple[ProductStore | None, str | None]:
    """The store for `check`; where it cannot be opened, what its database's own check finds is printed instead."""
    from search.recorded import open_recorded
    from search.store.maintenance import check_database
    try:
        return open_recorded(settings)
    except Exception as error:
        trouble = storage_trouble(error, settings.store.location)
        if trouble is None:
            raise
        print(f"PROBLEM: {trouble}")
        for line in check_database(str(settings.store.location)).lines():
            print(line)
        return None, None


def _check(store: ProductStore, settings: Settings, args: argparse.Namespace) -> int:
    from search.store.maintenance import check, note
    report = check(store)
    for line in report.lines():
        print(line)
    note(store.location, "check", {"ok": report.ok, "products": report.products, "problems": report.problems})
    return 0 if report.ok else 1


def _backup(store: ProductStore, settings: Settings, args: argparse.Namespace) -> int:
    from search.store.maintenance import backup
    manifest = backup(store.chroma, args.destination)
    print(f"backed up {manifest['products']} products of {store.name} into {args.destination}, read back and "
          f"verified")
    return 0


def _restore(settings: Settings, args: argparse.Namespace) -> int:
    from search.recorded import info_of
    from search.store.collection import ProductStore
    from search.store.maintenance import restore
    location = settings.store.location
    restored = restore(args.source, lambda space, name: ProductStore(location, info_of(space), name,
                                                                        for_indexing=True))
    print(f"restored {restored} products from {args.source} into {location}")
    return 0


def _delete(store: ProductStore, settings: Settings, args: argparse.Namespace) -> int:
    deleted = store.delete(args.ids)
    print(f"deleted {deleted} of {len(args.ids)} products")
    return 0 if deleted == len(args.ids) else 1


ENCODING = {"eval": _eval, "index": _index, "query": _query}
READING = {"stats": _stats, "delete": _delete, "duplicates": _duplicates, "check": _check,
           "backup": _backup}  # no model loaded

if __name__ == "__main__":
    sys.exit(main())

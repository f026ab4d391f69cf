"""The product team's own labelled set, uploaded on the Tuning page or to `/evaluate`: the labels CSV that `search
eval` reads, its photos in a zip beside it or by address; evaluated for several settings side by side (the current
sliders, the saved settings, the replay's proposal), and kept for the Admin's model switch to compare models on."""
from __future__ import annotations

import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from catalog.errors import UserError
from search.evaluate import K_VALUES, EvalReport, LabelledQuery, evaluate_ranking, read_labels
from search.images import ImageError, Photo
from search.ranking import Ranking
from search.service import SearchService
from storefront.text import say

MAX_QUERIES = 2_000  # an evaluation a person waits for
MAX_ZIP_BYTES = 1 << 30  # the photos' size once unpacked: a zip that claims more is refused before it is unpacked


@dataclass(frozen=True)
class LabelledSet:
    name: str  # the labels file's name, as the pages say which set they evaluated
    queries: list[LabelledQuery]  # every photo read into memory: the upload's files are gone once it is read


def read_labelled_set(labels: Path, photos: Path | None, fetch: Callable[[str], Photo],
                      load: Callable[[Path], Photo]) -> LabelledSet:
    """The labels CSV, its photos from the zip `photos` (named as the CSV's image column names them) or, without one,
    the CSV's own folder, or by address (`fetch`); raises `UserError` naming the line of a photo that cannot be
    read."""
    with tempfile.TemporaryDirectory(prefix="labels-") as unpacked:
        folder = _unpacked(photos, Path(unpacked)) if photos is not None else None
        queries = read_labels(labels, folder)
        if not queries:
            raise UserError("labels_empty", file=labels.name)
        if len(queries) > MAX_QUERIES:
            raise UserError("labels_too_many", file=labels.name, count=len(queries), most=MAX_QUERIES)
        return LabelledSet(labels.name, [_with_photo(query, line, labels.name, fetch, load)
                                         for line, query in enumerate(queries, start=2)])


def _unpacked(photos: Path, into: Path) -> Path:
    try:
        with zipfile.ZipFile(photos) as archive:
            if sum(member.file_size for member in archive.infolist()) > MAX_ZIP_BYTES:
                raise UserError("labels_zip_too_big", file=photos.name, most_gb=MAX_ZIP_BYTES >> 30)
            archive.extractall(into)  # names with ".." or a leading "/" stay inside `into` (zipfile's own rule)
    except (zipfile.BadZipFile, OSError) as error:
        raise UserError("labels_zip", file=photos.name, detail=str(error)) from error
    return into


def _with_photo(query: LabelledQuery, line: int, file: str, fetch: Callable[[str], Photo],
                load: Callable[[Path], Photo]) -> LabelledQuery:
    image = query.query.image
    if image is None:
        return query
    try:
        photo = fetch(image) if isinstance(image, str) else load(image)
    except ImageError as error:
        raise UserError("labels_photo", file=file, line=line, problem=error) from error
    return replace(query, query=replace(query.query, image=photo))


def compare(service: SearchService, labelled: LabelledSet, rankings: dict[str, Ranking]) -> dict[str, EvalReport]:
    """Each named setting's figures on the set."""
    return {name: evaluate_ranking(service, labelled.queries, ranking) for name, ranking in rankings.items()}


def comparison_table(reports: dict[str, EvalReport], lang: str) -> str:
    """The figures side by side, a column per setting (or model), as Markdown."""
    names = list(reports)
    rows = [(f"recall@{k}", [report.recall[k] for report in reports.values()]) for k in K_VALUES]
    rows += [("mAP@10", [report.map_at_10 for report in reports.values()]),
             ("MRR", [report.mrr for report in reports.values()])]
    queries = next(iter(reports.values())).queries if reports else 0
    return "\n".join([say(lang, "labelled_queries", count=queries), "",
                      f"| | {' | '.join(names)} |", "| --- |" + " ---: |" * len(names),
                      *(f"| {label} | {' | '.join(f'{value:.3f}' for value in values)} |" for label, values in rows)])

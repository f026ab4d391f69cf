"""Metrics checked against values worked out by hand, then the CLI on a labelled set with known answers."""
import pytest
from PIL import Image

from catalog.product import Product
from conftest import cli_here
from search.evaluate import LabelledQuery, evaluate
from search.ranking import Hit
from search.service import Query, SearchResponse


def _hit(pid, score, category="Caps"):
    return Hit(Product(pid, pid, "Brand", category, 1.0, "USD", f"{pid}.png"), score)


RANKINGS = {
    "a-photo": [_hit("a", 0.9), _hit("b", 0.8), _hit("c", 0.7), _hit("d", 0.2)],
    "mugs": [_hit("x", 0.6), _hit("m1", 0.5, "Mugs"), _hit("y", 0.4), _hit("m2", 0.3, "Mugs")],
}
LABELS = [LabelledQuery(Query(text="a-photo"), relevant_ids=frozenset({"a", "c"})),
          LabelledQuery(Query(text="mugs"), relevant_category="Mugs")]


def _search(query, top_k):
    return SearchResponse(RANKINGS[query.text][:top_k])


@pytest.fixture(scope="module")
def report():
    return evaluate(_search, LABELS, category_sizes={"Mugs": 3, "Caps": 9})


def test_recall_map_and_mrr_match_hand_computed_values(report):
    # query 1: right answers at ranks 1 and 3 of 2; query 2: at ranks 2 and 4 of 3 mugs in the catalog
    assert report.recall[1] == pytest.approx((1 / 2 + 0) / 2)
    assert report.recall[5] == pytest.approx((2 / 2 + 2 / 3) / 2)
    assert report.recall[10] == pytest.approx(report.recall[5])
    assert report.map_at_10 == pytest.approx(((1 / 1 + 2 / 3) / 2 + (1 / 2 + 2 / 4) / 3) / 2)
    assert report.mrr == pytest.approx((1 + 1 / 2) / 2)


def test_threshold_sweep_matches_hand_computed_values(report):
    curve = {threshold: (precision, recall) for threshold, precision, recall in report.curve}
    assert curve[0.0] == pytest.approx((4 / 8, 4 / 5))
    assert curve[0.5] == pytest.approx((3 / 5, 3 / 5))
    assert curve[0.75] == pytest.approx((1 / 2, 1 / 5))
    assert curve[1.0] == pytest.approx((1.0, 0.0))  # nothing kept: precision is not penalised
    assert "| 0.50 | 0.600 | 0.600 |" in report.table()


def test_eval_cli_on_known_answers(tmp_path, demo_feed):
    store = str(tmp_path / "store")
    assert cli_here("search", "index", str(demo_feed), "--store", store, "--model", "offline").returncode == 0
    labels = tmp_path / "labels.csv"
    rows = [f"{demo_feed.parent}/images/demo-0{n}.png,,demo-0{n},\n" for n in ("001", "105", "210", "315")]
    labels.write_text("image,text,relevant_ids,relevant_category\n" + "".join(rows))
    result = cli_here("search", "eval", str(labels), "--store", store, "--model", "offline",
                     "--plot", str(tmp_path / "curve.png"))
    assert result.returncode == 0, result.stderr
    assert "queries: 4" in result.stdout and "recall@1 1.000" in result.stdout and "MRR 1.000" in result.stdout
    with Image.open(tmp_path / "curve.png") as plot:
        assert plot.format == "PNG" and plot.width > 400
    bad = tmp_path / "bad.csv"
    bad.write_text("image,text,relevant_ids,relevant_category\n,,,\n")
    refused = cli_here("search", "eval", str(bad), "--store", store, "--model", "offline")
    assert refused.returncode == 2 and "bad.csv, line 2: needs an image or a text" in refused.stderr


def test_eval_runs_text_queries_by_words_by_clip_and_hybrid_side_by_side(tmp_path, tiny_service):
    from catalog.demo import demo_products

    kestrel = "|".join(p.id for p, _ in demo_products() if p.brand == "Kestrel" and p.category == "Backpacks")
    red_mugs = "|".join(p.id for p, _ in demo_products() if p.colour == "Red" and p.category == "Mugs")
    labels = tmp_path / "labels.csv"
    labels.write_text("image,text,relevant_ids,relevant_category\n"
                      f",Kestrel backpack,{kestrel},\n,红色马克杯,{red_mugs},\n", encoding="utf-8")
    result = cli_here("search", "eval", str(labels), "--store", tiny_service.store.location, "--model", "test-tiny")
    assert result.returncode == 0, result.stderr
    lines = {line.split(":")[0]: line for line in result.stdout.splitlines() if ": recall@1" in line}
    assert set(lines) == {"keywords only", "vectors only", "hybrid (keyword weight 0.5)"}
    assert "mAP@10 1.000" in lines["keywords only"] and "MRR 1.000" in lines["hybrid (keyword weight 0.5)"]
    assert "MRR 1.000" not in lines["vectors only"]  # the tiny model's random vectors cannot find them

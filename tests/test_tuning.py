import warnings

import pytest

from search.config import Settings
from search.evaluate import CurveWords, EvalReport, curve_figure, sample_queries
from storefront import tuning
from storefront.front import Storefront
from storefront.tuning import ThresholdCurve, score_histogram, timings_table


def test_the_histogram_counts_the_scores_and_draws_the_threshold():
    figure = score_histogram([0.91, 0.9, 0.42], 0.5)
    axes = figure.axes[0]
    heights = [patch.get_height() for patch in axes.patches]
    assert sum(heights) == 3 and max(heights) == 2  # 0.9 and 0.91 share a bin of width 0.025
    threshold = [line for line in axes.lines if line.get_label().startswith("minimum score")]
    assert threshold and list(threshold[0].get_xdata()) == [0.5, 0.5]


def test_timings_table_lists_every_stage_and_the_total():
    table = timings_table({"decode": 1.5, "encode": 20.0, "search": 3.25, "page": 0.25})
    assert "| encode | 20.0 ms |" in table and "| **total** | **25.0 ms** |" in table
    assert timings_table({}) == ""
    assert "| decode | 0.0 ms |" in timings_table({"search": 2.0})  # a cached query skipped the photo
    chinese = timings_table({"decode": 1.5, "encode": 20.0, "search": 3.25, "page": 0.25}, "zh-CN")
    assert chinese.startswith("| 阶段 | 耗时 |") and "| 编码 | 20.0 ms |" in chinese
    assert "| **合计** | **25.0 ms** |" in chinese


def _texts(figure) -> list[str]:
    axes = figure.axes[0]
    return [axes.get_title(), axes.get_xlabel(), axes.get_ylabel(),
            *(text.get_text() for text in axes.get_legend().get_texts())]


def test_the_charts_are_drawn_in_the_pages_language_with_a_font_that_has_its_characters(monkeypatch, tmp_path):
    if tuning.cjk_font() is None:
        pytest.skip("no font here draws Chinese: apt-get install fonts-noto-cjk")
    chinese = score_histogram([0.91, 0.9, 0.42], 0.5, "中文")  # the language switch's value, as the page sends it
    assert _texts(chinese) == ["3 个结果", "匹配分数", "结果数", "最低匹配分数 0.50"]
    assert _texts(score_histogram([0.91], 0.5, "en"))[0] == "1 result"
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # matplotlib warns of each glyph its fonts lack
        chinese.savefig(tmp_path / "histogram.png")
    report = EvalReport(queries=50, recall={}, map_at_10=0.0, mrr=0.0, curve=[(0.0, 0.5, 1.0), (1.0, 1.0, 0.0)])
    words = tuning.curve_words("zh-CN")
    curve = curve_figure(report, 0.3, words)
    assert _texts(curve) == ["50 个查询：各最低匹配分数下的精确率与召回率", "最低匹配分数", "",
                             "精确率", "召回率", "当前阈值"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        curve.savefig(tmp_path / "curve.png")
    monkeypatch.setattr(tuning, "cjk_font", lambda: None)  # a machine without such a font: English, never boxes
    assert _texts(score_histogram([0.9], 0.5, "zh-CN"))[1] == "match score"
    assert tuning.curve_words("zh-CN") == CurveWords()


def test_sample_queries_are_photos_per_category_and_category_names(tiny_service):
    labelled, sizes = sample_queries(tiny_service.store.products(), per_category=2)
    photos = [q for q in labelled if q.query.image is not None]
    texts = [q for q in labelled if q.query.text]
    assert len(photos) == 2 * len(sizes) and len(texts) == len(sizes) and sum(sizes.values()) == 240
    assert all(q.relevant_category in sizes for q in labelled)


def test_the_threshold_curve_is_computed_once_per_model(tmp_path, demo_feed):
    storefront = Storefront(Settings.of(store=tmp_path / "store", model="test-tiny", demo_dir=demo_feed.parent,
                                     precision="fp32"))
    storefront.start()
    curve = ThresholdCurve(storefront)
    report = curve.report()
    assert report.queries == 10 * 4 + 10 and curve.report() is report
    thresholds = [t for t, _, _ in report.curve]
    recall = [r for _, _, r in report.curve]
    assert thresholds == sorted(thresholds) and recall == sorted(recall, reverse=True)
    assert curve.figure(0.3).axes[0].get_xlabel() == "minimum score"

from search.config import Settings
from search.evaluate import sample_queries
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

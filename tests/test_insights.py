"""The Insights figures: what a scripted session of shoppers did, counted back exactly."""
import csv
import io
import shutil
import zipfile
from datetime import date

import pytest
from PIL import Image

from catalog.errors import UserError
from conftest import cli_here, data_url, shopper_call, started_storefront
from page import handlers
from search.ranking import Ranking
from storefront import replay as replay_module
from storefront.admin import Admin
from storefront.doorway import Client, Doorway
from storefront.front import Storefront
from storefront.insights import Days, events_csv, insights
from storefront.protocol import SearchRequest
from storefront.replay import replay
from storefront.team import Team

OPENED_RANKS = (1, 1, 2, 5, 9)
WORDS = ("mug", "backpack", "sneakers", "lamp", "red shirt", "watch", "navy cap", "bottle", "tote", "teal mug",
         "cap", "mug", "lumen lamp", "kestrel", "white sneakers", "sunglasses")  # 16 searches that find something


@pytest.fixture(scope="module")
def session(tmp_path_factory) -> tuple[Storefront, list[dict]]:
    """20 searches (3 finding nothing) and 5 opens at ranks 1, 1, 2, 5 and 9, from one browser tab."""
    shop = started_storefront(tmp_path_factory.mktemp("insights"), "offline")
    shop = Storefront(shop.settings.replaced(events_file=tmp_path_factory.mktemp("events") / "events.sqlite"))
    answers = [shopper_call(shop, "search", text=words, token="tab") for words in WORDS]
    answers.append(shopper_call(shop, "search", text="mug", filters={"brands": ["Kestrel"]}, token="tab",
                                lang="中文"))
    shopper_call(shop, "search", text="qqzzxv", token="tab")  # no word of the catalog: nothing at all
    shopper_call(shop, "search", text="mug", filters={"min_price": 999_999}, token="tab")  # the filter leaves none
    gradient = io.BytesIO()
    Image.linear_gradient("L").convert("RGB").save(gradient, "PNG")
    photo = data_url(gradient.getvalue())  # like no product of the catalog exactly
    Doorway(shop).answer(SearchRequest, {"photo": photo, "ranking": {"min_score": 1.0}}, Client("api"))  # none above
    first = answers[0]["cards"]
    for rank in OPENED_RANKS:
        shopper_call(shop, "details", id=first[rank - 1]["id"], rank=rank, token="tab")
    shop.events.flush()
    return shop, answers


def _figures(shop: Storefront):
    return insights(shop.settings.events.path(shop.settings.store.location), Days.last_days(1),
                    shop.service().store.ids())


def test_the_figures_are_the_scripted_sessions(session):
    shop, answers = session
    figures = _figures(shop)
    assert (figures.searches, figures.found_nothing, figures.nothing_above_threshold) == (20, 2, 1)
    assert figures.nothing_words == [{"words": "mug", "searches": 1}, {"words": "qqzzxv", "searches": 1}]
    assert figures.opens == 5
    assert figures.opens_by_rank == [{"rank": 1, "opens": 2}, {"rank": 2, "opens": 1}, {"rank": 5, "opens": 1},
                                     {"rank": 9, "opens": 1}]
    top = answers[0]["cards"][0]["id"]
    assert figures.most_opened[0]["product_id"] == top and figures.most_opened[0]["opens"] == 2
    assert figures.most_opened[0]["shown"] >= 2  # the two "mug" searches showed it at least
    today = date.today().isoformat()
    assert {(row["day"], row["kind"], row["lang"], row["searches"]) for row in figures.per_day} == {
        (today, "text", "en", 18), (today, "text", "zh-CN", 1), (today, "photo", "en", 1)}
    assert {"filter": "brands", "value": "Kestrel", "searches": 1} in figures.filters
    assert {"filter": "min_price", "value": "999999.0", "searches": 1} in figures.filters
    shown = {card["id"] for answer in answers for card in answer["cards"]}
    assert set(figures.never_shown) == set(shop.service().store.ids()) - shown and figures.never_shown
    encode = {row["stage"]: row for row in figures.stages}["search"]
    assert encode["searches"] == 20 and 0 < encode["p50_ms"] <= encode["p95_ms"]


def test_a_range_without_events_is_empty_and_lists_every_product_as_never_shown(session):
    shop, _ = session
    figures = insights(shop.settings.events.path(shop.settings.store.location),
                       Days(date(2020, 1, 1), date(2020, 1, 31)), ["a", "b"])
    assert (figures.searches, figures.opens, figures.never_shown, figures.nothing_share) == (0, 0, ["a", "b"], 0.0)
    assert insights(None, Days.last_days(), ["b", "a"]).never_shown == ["a", "b"]  # events off


def test_the_csv_export_holds_every_search_and_open_oldest_first(session):
    shop, _ = session
    rows = list(csv.DictReader(io.StringIO(events_csv(shop.settings.events.path(shop.settings.store.location),
                                                      Days.last_days(1)))))
    assert [row["event"] for row in rows] == ["search"] * 20 + ["open"] * 5
    assert rows[0]["words"] == "mug" and rows[0]["kind"] == "text" and rows[-1]["rank"] == "9"
    assert rows[-1]["words"] == "" and rows[0]["product_id"] == ""
    assert [row["time_utc"] for row in rows] == sorted(row["time_utc"] for row in rows)


def test_the_replay_proposes_what_the_shoppers_opens_favour_on_the_held_out_sessions(session, tmp_path, monkeypatch):
    """Shoppers who open what business re-ranking puts first: the replay proposes re-ranking, and it serves the
    held-out sessions better than the current settings (no re-ranking) do."""
    # fewer candidates than the page's, the same choosing: the suite's time, not the replay's logic, is spared
    monkeypatch.setattr(replay_module, "GRID", {"keyword_weight": (0.5,), "rerank_weight": (0.0, 0.25, 0.5),
                                                "min_score": (0.0, 0.2)})
    shop = Storefront(session[0].settings.replaced(events_file=tmp_path / "events.sqlite"))
    favoured = Ranking.of(**{**shop.settings.ranking.values(), "rerank_weight": 0.5})
    sessions = 0
    for source in sorted(shop.service().store.ids()):
        wanted = shop.more_like_this(source, ranking=favoured).ids[0]
        token = f"tab-{source}"
        shown = shopper_call(shop, "search", more_like=source, token=token)["cards"]
        ids = [card["id"] for card in shown]
        if wanted in ids[1:]:  # the current settings show it, lower than the shoppers want it
            shopper_call(shop, "details", id=wanted, rank=ids.index(wanted) + 1, token=token)
            sessions += 1
    photo = (shop.settings.store.demo_dir / "images" / "demo-0105.png").read_bytes()
    shown = shopper_call(shop, "search", photo=data_url(photo), token="tab-photo")["cards"]
    shopper_call(shop, "details", id=shown[0]["id"], rank=1, token="tab-photo")
    shop.events.flush()
    report = replay(shop.service(), tmp_path / "events.sqlite", Days.last_days(1), shop.settings.ranking)
    assert sessions >= 20 and (report.replayed, report.sessions, report.not_replayable) == (sessions, sessions, 1)
    assert 0 < report.held_out < sessions
    assert report.current.ranking == shop.settings.ranking and report.proposed.ranking.rerank_weight > 0
    assert report.proposed.held_out_mrr > report.current.held_out_mrr
    assert report.proposed.fit_mrr == max(scored.fit_mrr for scored in report.candidates)


def _labels(folder, images):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "labels.csv").write_text("image,text,relevant_ids,relevant_category\n"
                                       "mug.png,,demo-0105,\nwatch.png,,demo-0612|demo-0601,\n,coffee mug,,Mugs\n")
    return folder / "labels.csv"


def test_an_uploaded_labelled_set_gives_the_clis_figures_beside_the_sliders_and_the_proposal(session, tmp_path):
    shop, _ = session
    images = shop.settings.store.demo_dir / "images"
    beside = _labels(tmp_path / "cli", images)  # as `search eval` reads it: the photos beside the CSV
    shutil.copy(images / "demo-0105.png", tmp_path / "cli" / "mug.png")
    shutil.copy(images / "demo-0612.png", tmp_path / "cli" / "watch.png")
    uploaded = _labels(tmp_path / "upload", images)  # as a browser uploads it: the photos in a zip of their own
    with zipfile.ZipFile(tmp_path / "photos.zip", "w") as archive:
        archive.write(tmp_path / "cli" / "mug.png", "mug.png")
        archive.write(tmp_path / "cli" / "watch.png", "watch.png")
    team = Team(Admin(Storefront(shop.settings.replaced(admin_password="pw"))))
    team.proposed = Ranking.of(**{**shop.settings.ranking.values(), "rerank_weight": 1.0})
    evaluation = team.evaluate("pw", uploaded, tmp_path / "photos.zip", sliders={"min_score": 0.99, "top_k": "7"})
    assert list(evaluation.reports) == ["current sliders", "saved", "proposed"]
    cli = cli_here("search", "eval", str(beside), "--store", str(shop.settings.store.location), "--model", "offline")
    assert cli.returncode == 0, cli.stderr
    saved = evaluation.reports["saved"]
    assert saved.queries == 3 and f"\n{saved.summary()}\n" in cli.stdout  # the CLI's figures
    assert evaluation.reports["current sliders"].recall[10] < saved.recall[10]  # a threshold of 0.99 hides some
    assert team.labelled is evaluation.labelled  # kept for the model switch
    assert handlers.use_proposal(team)({"lang": "en"})["rerank_weight"] == 1.0  # the sliders moved, nothing saved
    assert handlers.use_proposal(Team(team.admin))({"lang": "中文"}) == {
        "labelled_figures": "还没有建议：请先在洞察页面重放搜索。"}
    with pytest.raises(UserError, match="labels.csv, line 2: .*mug.png: file not found"):
        team.evaluate("pw", uploaded)  # no zip, and the upload's folder has no photos
    (tmp_path / "bad.zip").write_bytes(b"not a zip")
    with pytest.raises(UserError, match="bad.zip is not a zip"):
        team.evaluate("pw", uploaded, tmp_path / "bad.zip")
    with pytest.raises(UserError, match="top_k"):
        team.evaluate("pw", uploaded, tmp_path / "photos.zip", sliders={"top_k": ["a list"]})  # a hostile browser

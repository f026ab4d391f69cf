"""Admin actions, called as the page and the API call them: each checks the password itself."""
import json
import shutil
from dataclasses import replace

import pytest

from catalog.errors import UserError
from page import handlers
from search.config import Settings
from search.ranking import Ranking
from search.service import Query
from storefront.admin import Admin, AdminError, AdminRefused
from storefront.front import Storefront
from storefront.model_switch import ModelSwitch
from storefront.team import Team


@pytest.fixture()
def admin(tmp_path, demo_feed):
    settings = Settings.of(store=tmp_path / "store", model="test-tiny", demo_dir=demo_feed.parent, precision="fp32",
                        admin_password="open sesame", saved_settings=tmp_path / "saved.json")
    storefront = Storefront(settings)
    storefront.start()  # the demo catalog indexed into the empty store
    return Admin(storefront)


def test_every_action_refuses_a_wrong_or_missing_password(admin, tmp_path):
    for action in (lambda pw: admin.stats(pw), lambda pw: admin.delete(pw, "demo-0001"),
                   lambda pw: admin.save_defaults(pw, top_k=5, min_score=0.2, text_weight=0.5, rerank_weight=0.0),
                   lambda pw: ModelSwitch(admin, Team(admin)).prepare(pw, "offline"),
                   lambda pw: ModelSwitch(admin, Team(admin)).rollback(pw), lambda pw: Team(admin).insights(pw),
                   lambda pw: Team(admin).replay(pw), lambda pw: Team(admin).evaluate(pw, tmp_path / "labels.csv"),
                   lambda pw: Team(admin).events_csv(pw), lambda pw: admin.ingest(pw, tmp_path / "f.csv")):
        for wrong in ("", None, "open sesame ", 12345, ["open sesame"]):
            with pytest.raises(AdminRefused, match="wrong admin password"):
                action(wrong)
    run = handlers.admin_handlers(admin)
    assert run["admin_delete"]("nope", "demo-0001") == "⚠️ wrong admin password"
    assert run["admin_delete"]("nope", "demo-0001", "中文") == "⚠️ 管理员密码错误"
    assert admin.storefront.service().store.count() == 240  # nothing was deleted


def test_without_a_configured_password_admin_actions_are_off(tmp_path):
    closed = Admin(Storefront(Settings.of(store=tmp_path / "store", model="offline")))
    assert not closed.enabled
    with pytest.raises(AdminRefused, match="set PRODUCT_SEARCH_ADMIN_PASSWORD"):
        closed.stats("anything")


def test_an_uploaded_feed_is_indexed_with_progress_and_a_summary(admin, tmp_path, demo_feed):
    pictures = tmp_path / "pictures"
    pictures.mkdir()
    shutil.copy(demo_feed.parent / "images" / "demo-0105.png", pictures / "mug.png")
    feed = tmp_path / "upload.csv"  # as a browser upload lands: away from the pictures
    feed.write_text("id,title,brand,category,price,currency,image\n"
                    "new-1,Blue Mug,Acme,Mugs,9.5,EUR,mug.png\n"
                    "new-2,Lost Mug,Acme,Mugs,9.5,EUR,missing.png\n"
                    "new-3,Green Mug,Acme,Mugs,ten,EUR,mug.png\n"
                    "new-4,Sneaky Mug,Acme,Mugs,9.5,EUR,../upload.csv\n")
    seen = []
    summary = admin.ingest("open sesame", feed, str(pictures), lambda fraction, what: seen.append(fraction))
    assert summary.startswith("**upload.csv**: added 1, updated 0, unchanged 0, removed 0, skipped 3\n"
                              "- encoder: 8 pictures a batch, still measuring (images/s by batch size: ")
    assert "line 3 (id new-2): missing.png: file not found" in summary and "line 4 (id new-3)" in summary
    assert "line 5 (id new-4)" in summary and "leaves the images folder" in summary
    assert seen and seen[-1] == 1.0
    again = admin.ingest("open sesame", feed, str(pictures), lang="zh-CN")  # on the 中文 Admin page
    assert again.startswith("**upload.csv**: 新增 0，更新 0，未变 1，移除 0，跳过 3")
    assert "跳过 第 3 行（编号 new-2）：missing.png：在 " in again and "下找不到文件" in again
    assert "价格 'ten' 不是数字" in again
    assert ("Acme (1)", "Acme") in admin.storefront.facet_choices()["brand"]  # the page's counts follow
    with pytest.raises(AdminError, match="choose a feed file"):
        admin.ingest("open sesame", None)
    with pytest.raises(AdminError, match="images folder .* does not exist"):
        admin.ingest("open sesame", feed, str(tmp_path / "nowhere"))
    said = handlers.admin_handlers(admin)["admin_ingest"]("open sesame", None, "")
    assert said == "⚠️ choose a feed file first"  # the page and the API say it, never a traceback


def test_delete_stats_and_saved_defaults(admin):
    assert admin.delete("open sesame", "demo-0001, not-there") == "Deleted 1 of 2 products (1 not in the catalog)"
    assert admin.delete("open sesame", "demo-0001, not-there", "zh-CN") == "已删除 2 件中的 0 件商品（2 件不在目录中）"
    assert "- **商品**: 239" in admin.stats("open sesame", "zh-CN")
    stats = admin.stats("open sesame")
    assert "- **products**: 239" in stats and "test-tiny (random-seed-1234), 64-d, fp32 on cpu" in stats
    message = admin.save_defaults("open sesame", top_k=9, min_score=0.3, text_weight=0.7, rerank_weight=0.25)
    assert message.startswith("Saved as everyone's defaults")
    saved = json.loads(admin.storefront.settings.app.saved_settings.read_text())
    assert (saved["top_k"], saved["min_score"], saved["text_weight"], saved["rerank_weight"]) == (9, 0.3, 0.7, 0.25)
    opened = handlers.header(admin.storefront, handlers.TUNING_HEADER)({})  # the next Tuning page starts from them
    assert [opened[name] for name in ("min_score", "top_k", "rerank_weight", "keyword_weight")] == [0.3, 9, 0.25, 0.5]
    shoppers = replace(admin.storefront.settings.ranking, **handlers.ranking({"text_weight": 0.2}))  # shoppers too
    assert (shoppers.top_k, shoppers.min_score, shoppers.rerank_weight, shoppers.text_weight) == (9, 0.3, 0.25, 0.2)
    for knobs, told in (({"top_k": "many"}, "top_k: must be a whole number"),
                        ({"min_score": float("nan")}, "min_score: must be a finite number"),
                        ({"keyword_weight": 3}, "keyword_weight: must be at most 1")):
        with pytest.raises(UserError, match=told):  # checked as a request's knobs are; nothing saved
            admin.save_defaults("open sesame", **knobs)
    assert json.loads(admin.storefront.settings.app.saved_settings.read_text())["top_k"] == 9
    on_the_page = {"password": "open sesame", **admin.storefront.settings.ranking.values(), "top_k": 10, "lang": "中文"}
    said = handlers.save_from_page(admin)(on_the_page)["saved"]  # the Tuning page's saving, in its language
    assert said.startswith("已保存为所有人的默认设置") and "结果数量 10" in said


def test_a_new_model_is_compared_then_serves_only_when_confirmed_and_rolls_back_at_once(admin):
    old = admin.storefront.service()
    switch = ModelSwitch(admin, Team(admin))
    seen = []
    message = switch.prepare("open sesame", "offline", progress=lambda fraction, what: seen.append(fraction))
    assert "added 240" in message and seen[-1] == 1.0
    assert "queries drawn from the catalog" in message and "| recall@10 |" in message
    assert "serving: test-tiny" in message and "new: offline" in message  # both models' columns
    assert admin.storefront.service() is old  # compared, not serving
    assert switch.confirm("open sesame", "中文").startswith("现在由 **offline")
    new = admin.storefront.service()
    assert new is not old and new.encoder.info.kind == "offline" and new.store.count() == 240
    assert new.store.pictures_count() == old.store.pictures_count() == 264  # every picture, read from its file
    assert new.store.name != old.store.name and old.store.count() == 240  # the old collection is kept
    photo = admin.storefront.settings.store.demo_dir / "images" / "demo-0105.png"
    assert new.search(Query(image=photo), ranking=Ranking(top_k=1)).hits[0].product.id == "demo-0105"
    assert json.loads(admin.storefront.settings.app.saved_settings.read_text())["model"] == "offline"
    assert Settings.of(saved_settings=admin.storefront.settings.app.saved_settings).with_saved().model.name == "offline"
    assert "test-tiny" in switch.rollback("open sesame")
    assert admin.storefront.service() is old  # at once: nothing indexed again, nothing loaded again
    assert Settings.of(saved_settings=admin.storefront.settings.app.saved_settings).with_saved().model.name == \
        "test-tiny"
    with pytest.raises(AdminError, match="no new model is waiting"):
        switch.confirm("open sesame")
    assert "Removed" in switch.remove_previous("open sesame")
    assert not any(space.startswith(f"{new.store.name}:") for space in old.store.other_spaces())
    assert old.store.count() == 240
    with pytest.raises(AdminError, match="no previous model"):
        switch.rollback("open sesame")
    switch.prepare("open sesame", "offline")
    switch.confirm("open sesame")
    with pytest.raises(AdminError, match="offline is the model serving now"):
        switch.prepare("open sesame", "offline")


def test_a_preset_that_cannot_load_here_changes_nothing(admin):
    before = admin.storefront.service()
    with pytest.raises(AdminError, match="unknown preset 'nonsense'"):
        ModelSwitch(admin, Team(admin)).prepare("open sesame", "nonsense")
    with pytest.raises(AdminError, match="^the fast model's weights cannot be loaded here, so nothing was changed"):
        ModelSwitch(admin, Team(admin)).prepare("open sesame", "fast")  # no network here: no weights
    assert admin.storefront.service() is before

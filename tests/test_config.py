import argparse
from pathlib import Path

import pytest

from search.config import ConfigError, Settings


def test_environment_overrides_defaults_and_flags_override_environment():
    settings = Settings.from_env({"PRODUCT_SEARCH_STORE": "/srv/store", "PRODUCT_SEARCH_PORT": "8080",
                                  "PRODUCT_SEARCH_MIN_SCORE": "0.3", "PRODUCT_SEARCH_MODEL": "quality"})
    assert (settings.store.location, settings.app.port, settings.ranking.min_score, settings.model.name) == (
        Path("/srv/store"), 8080, 0.3, "quality")
    flags = argparse.Namespace(store="elsewhere", model=None, port=9000)
    overridden = settings.with_args(flags)
    assert (overridden.store.location, overridden.model.name, overridden.app.port) == (
        Path("elsewhere"), "quality", 9000)


def test_a_bad_environment_value_names_the_variable():
    with pytest.raises(ConfigError, match="PRODUCT_SEARCH_PORT='eighty' is not a valid int"):
        Settings.from_env({"PRODUCT_SEARCH_PORT": "eighty"})


@pytest.mark.parametrize("variable, raw, told", [
    ("PRODUCT_SEARCH_EXACT_LIMIT", "-5", "exact_limit = -5 cannot be used: it must be at least 0"),
    ("PRODUCT_SEARCH_TEXT_WEIGHT", "5", "text_weight = 5 cannot be used: it must be between 0 and 1"),
    ("PRODUCT_SEARCH_TOP_K", "0", "top_k = 0 cannot be used: it must be between 1 and 50 \\(PRODUCT_SEARCH_TOP_K, "
                                  "or --top-k where a command takes it\\)"),
    ("PRODUCT_SEARCH_MIN_SCORE", "nan", "min_score = nan cannot be used: it must be between 0 and 1"),
    ("PRODUCT_SEARCH_MIN_SCORE", "-0.5", "min_score = -0.5 cannot be used: it must be between 0 and 1"),
    ("PRODUCT_SEARCH_PORT", "70000", "port = 70000 cannot be used: it must be between 1 and 65535")])
def test_a_value_out_of_its_range_is_refused_with_the_setting_and_its_range(variable, raw, told):
    with pytest.raises(ConfigError, match=told):
        Settings.from_env({variable: raw})


def test_flags_are_checked_as_the_environment_is_and_the_defaults_pass():
    assert Settings.of().ranking.top_k == 12
    with pytest.raises(ConfigError, match="batch_size = -1 cannot be used"):
        Settings.of().with_args(argparse.Namespace(batch_size=-1))


def test_saved_defaults_survive_a_restart_and_flags_still_win(tmp_path):
    settings = Settings.of(saved_settings=tmp_path / "saved.json")
    saved = settings.save(top_k=7, min_score=0.25, rerank_weight=0.4)
    assert (saved.ranking.top_k, saved.ranking.min_score, saved.ranking.rerank_weight) == (7, 0.25, 0.4)
    restarted = Settings.from_env({"PRODUCT_SEARCH_SAVED_SETTINGS": str(tmp_path / "saved.json"),
                                   "PRODUCT_SEARCH_TOP_K": "30"}).with_saved()
    assert (restarted.ranking.top_k, restarted.ranking.min_score, restarted.ranking.rerank_weight) == (7, 0.25, 0.4)
    flags = argparse.Namespace(store=None, model="offline")
    assert restarted.with_args(flags).model.name == "offline"


def test_only_tuning_and_the_model_can_be_saved_and_a_broken_file_is_named(tmp_path):
    settings = Settings.of(saved_settings=tmp_path / "saved.json")
    with pytest.raises(ConfigError, match="cannot save store"):
        settings.save(store=tmp_path)
    (tmp_path / "saved.json").write_text("{not json")
    with pytest.raises(ConfigError, match="saved.json: saved settings are unreadable"):
        settings.with_saved()
    assert Settings.of(saved_settings=tmp_path / "absent.json").with_saved() == Settings.of(
        saved_settings=tmp_path / "absent.json")


def test_a_server_address_stays_an_address_and_a_folded_one_is_refused():
    from search.store.collection import StoreError, connect

    assert Settings.from_env({"PRODUCT_SEARCH_STORE": "http://127.0.0.1:8000"}).store.location == "http://127.0.0.1:8000"
    flags = argparse.Namespace(store="https://chroma.example.com:443")
    assert Settings.of().with_args(flags).store.location == "https://chroma.example.com:443"
    with pytest.raises(StoreError, match="needs two slashes"):
        connect(Path("http://127.0.0.1:8000"))


def test_each_ranking_knob_is_declared_once_and_drives_every_place_that_takes_it():
    """A knob's declaration (search.ranking.KNOBS) is the `Ranking` field's default, its environment variable and
    range, what saving accepts, the protocol's input, the labels in both languages and the CLI's flag."""
    from dataclasses import fields

    from search.__main__ import _parser
    from search.ranking import KNOBS, Ranking
    from storefront.protocol import SearchRequest, parse
    from storefront.text import LABELS
    assert [(f.name, f.default) for f in fields(Ranking)] == [(k.name, k.default) for k in KNOBS]
    asked = _parser().parse_args(["query", *(f"--{k.name.replace('_', '-')}={k.most:g}" for k in KNOBS)])
    assert Settings.of().with_args(asked).ranking.values() == {k.name: k.most for k in KNOBS}
    for knob in KNOBS:
        too_high = knob.most + (1 if knob.whole else 0.5)
        with pytest.raises(ConfigError, match=f"{knob.name} = {too_high:g} cannot be used"):
            Settings.from_env({f"PRODUCT_SEARCH_{knob.name.upper()}": str(too_high)})
        assert getattr(Settings.of(saved_settings=Path("/nonexistent/x.json")).replaced(**{knob.name: knob.most})
                       .ranking, knob.name) == knob.most
        with pytest.raises(Exception, match=f"ranking.{knob.name}: must be at most {knob.most:g}"):
            parse(SearchRequest, {"text": "mug", "ranking": {knob.name: too_high}})
        assert LABELS["en"][f"knob_{knob.name}"] == knob.label[0] and LABELS["zh-CN"][f"knob_{knob.name}"] == \
            knob.label[1]


def test_settings_come_in_typed_sections_named_as_their_variables_always_were():
    settings = Settings.from_env({"PRODUCT_SEARCH_STORE": "/srv/store", "PRODUCT_SEARCH_DEVICE": "cpu",
                                  "PRODUCT_SEARCH_LIMIT_PER_ADDRESS": "30/minute", "PRODUCT_SEARCH_MCP": "1",
                                  "PRODUCT_SEARCH_TOP_K": "7", "PRODUCT_SEARCH_ITEM_REGIONS": "16"})
    assert settings.store.location == Path("/srv/store") and settings.model.device == "cpu"
    assert settings.limits.per_address == "30/minute" and settings.app.serves_mcp and settings.ranking.top_k == 7
    assert settings.app.item_regions == 16 and settings.value("item_regions") == 16
    with pytest.raises(TypeError, match="no setting named colour"):
        Settings.of(colour="red")

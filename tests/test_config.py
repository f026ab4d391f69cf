import argparse
from pathlib import Path

import pytest

from search.config import ConfigError, Settings


def test_environment_overrides_defaults_and_flags_override_environment():
    settings = Settings.from_env({"PRODUCT_SEARCH_STORE": "/srv/store", "PRODUCT_SEARCH_PORT": "8080",
                                  "PRODUCT_SEARCH_MIN_SCORE": "0.3", "PRODUCT_SEARCH_MODEL": "quality"})
    assert (settings.store, settings.port, settings.min_score, settings.model) == (Path("/srv/store"), 8080, 0.3,
                                                                                   "quality")
    flags = argparse.Namespace(store="elsewhere", model=None, port=9000)
    overridden = settings.with_args(flags)
    assert (overridden.store, overridden.model, overridden.port) == (Path("elsewhere"), "quality", 9000)


def test_a_bad_environment_value_names_the_variable():
    with pytest.raises(ConfigError, match="PRODUCT_SEARCH_PORT='eighty' is not a valid int"):
        Settings.from_env({"PRODUCT_SEARCH_PORT": "eighty"})

"""Every problem a reader can be told exists in English and Chinese, fills the same values in both, and every place
that raises one names a problem that has words."""
import ast
import inspect
import re
from pathlib import Path

import pytest

import app  # noqa: F401  (every module that defines an error is imported through it)
from catalog.errors import UserError
from catalog.problems import PROBLEMS, fields, word
from search.choices import KINDS

ROOT = Path(__file__).resolve().parent.parent
SOURCES = [ROOT / "app.py", *(path for folder in ("catalog", "search", "storefront", "page")
                              for path in (ROOT / folder).rglob("*.py"))]
SAME_IN_BOTH = {"http_status"}  # "HTTP 503" reads the same in Chinese


def _sample(template: str) -> dict[str, object]:
    """A value for each field: a number where the words format one (":.1f", ":g", ":,"), a name otherwise."""
    return {name: 1234.5 if spec else "demo-0001" for _, name, spec, _ in __import__("string").Formatter()
            .parse(template) if name}


@pytest.mark.parametrize("code", sorted(PROBLEMS))
def test_every_problem_has_both_languages_filling_the_same_values(code):
    english, chinese = PROBLEMS[code]
    assert fields(english) == fields(chinese), code
    values = _sample(english)
    worded = word(code, "en", values), word(code, "zh-CN", values)
    assert all(worded) and not any("{" + name in text for name in values for text in worded)
    assert code in SAME_IN_BOTH or worded[0] != worded[1]
    assert re.search(r"[\u4e00-\u9fff]", worded[1]) or code in SAME_IN_BOTH or chinese.startswith("{")


def _user_errors() -> set[str]:
    """The `UserError` kinds raised by a problem's code (those with a constructor of their own, such as
    `TooManySearches(wait_s)`, name theirs inside it)."""
    found, todo = set(), [UserError]
    while todo:
        kind = todo.pop()
        if kind.__init__ is UserError.__init__:
            found.add(kind.__name__)
        todo.extend(kind.__subclasses__())
    return found


def test_every_raised_problem_names_a_code_that_has_words():
    """Each `SomeError("code", ...)` of a `UserError` kind in the product's code names a problem of the table, so no
    message can reach a reader in one language only."""
    kinds, named = _user_errors(), []
    for path in SOURCES:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in kinds:
                first = node.args[0] if node.args else None
                if path.name == "choices.py" and isinstance(first, ast.Name):
                    continue  # what an input takes: one of KINDS' codes, checked below
                if isinstance(first, ast.Attribute) and first.attr == "code":
                    continue  # a problem told again, its input renamed
                assert isinstance(first, ast.Constant) and first.value in PROBLEMS, \
                    f"{path.relative_to(ROOT)}:{node.lineno}: {node.func.id} without a known problem code"
                named.append(first.value)
    assert {code for code, _ in KINDS.values()} <= set(PROBLEMS)
    assert len(named) > 100 and {"no_query", "gone", "fallback", "unknown_device"} <= set(named)


def test_a_problem_inside_a_problem_is_worded_in_the_same_language():
    reason = UserError("no_weights_offline", what="ViT-B-32 (laion2b)")
    fallback = UserError("fallback", reason=reason)
    assert str(fallback).startswith("no pretrained weights for ViT-B-32 (laion2b): not in the local cache")
    assert fallback.in_language("zh-CN").startswith("无法载入所选模型（没有 ViT-B-32 (laion2b) 的预训练权重")


def test_a_problem_crosses_a_pipe_as_its_code_and_values():
    import pickle

    from storefront.limits import TooManySearches
    again = pickle.loads(pickle.dumps(TooManySearches(7)))
    assert type(again) is TooManySearches and again.in_language("zh-CN") == "搜索太频繁：请等待 7 秒后再试"


def test_an_unknown_code_is_refused_where_it_is_raised():
    with pytest.raises(KeyError, match="no words for the problem 'no_such_problem'"):
        UserError("no_such_problem")
    assert "code" in inspect.signature(UserError).parameters  # positional only: a value may be named `code`
    assert UserError("currency_unknown", code="XYZ").values == {"code": "XYZ"}


def test_every_label_and_message_of_the_pages_exists_in_both_languages_with_the_same_values():
    from storefront.text import LABELS, MESSAGES
    for table in (LABELS, MESSAGES):
        assert set(table["en"]) == set(table["zh-CN"])
        for key, english in table["en"].items():
            assert fields(english) == fields(table["zh-CN"][key]), key

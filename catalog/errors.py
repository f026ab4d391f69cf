"""The one base of every error a user may see. An error is a problem's code with its values (`UserError("file_empty",
label=...)`); its words, in English and Chinese, are in `catalog/problems.py` and are chosen only where the error is
shown: the one doorway (`storefront/doorway.py`) words it in the reader's language, each CLI's `main()` in English
(`str(error)`)."""
from __future__ import annotations

from catalog.problems import PROBLEMS, word


class UserError(Exception):
    """Something a shopper, an admin or a merchant's feed got wrong, or the machine cannot do; never a bug. A value
    that is itself a `UserError` (the reason behind a fallback) is worded in the same language."""

    def __init__(self, code: str, /, **values: object) -> None:
        if code not in PROBLEMS:
            raise KeyError(f"no words for the problem {code!r} in catalog/problems.py")
        self.code, self.values = code, values
        super().__init__(self.in_language("en"))

    def __reduce__(self) -> tuple:
        """Pickled as its code and values (a child process's error crosses a pipe), not as its English words."""
        return _rebuilt, (type(self), self.code, self.values)

    def renamed(self, names: dict[str, str]) -> UserError:
        """This problem with the input it names called as a front end calls it (an MCP tool's `image_address` is the
        protocol's `photo`, the CLI's `--min-price` its `filters.min_price`)."""
        field = self.values.get("field")
        named = next((name for name in names if field == name or str(field).startswith(name + ".")), None)
        if not isinstance(field, str) or named is None:
            return self
        return UserError(self.code, **{**self.values, "field": names[named] + field[len(named):]})

    def in_language(self, lang: str) -> str:
        """The message in `lang` (a locale code such as "zh-CN"; English for any other)."""
        return word(self.code, lang, {name: value.in_language(lang) if isinstance(value, UserError) else value
                                      for name, value in self.values.items()})


def _rebuilt(kind: type[UserError], code: str, values: dict[str, object]) -> UserError:
    """A `UserError` of `kind` again, whatever its own constructor takes."""
    error = kind.__new__(kind)
    UserError.__init__(error, code, **values)
    return error

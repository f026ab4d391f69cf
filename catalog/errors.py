"""The one base of every error a user may see: its message says what is wrong and what to do. Library code raises
its subclasses; each front end turns them into a message in one place (`page.handlers.shows_problems` and
`guarded` for the page and the API, each CLI's `main()` for the command line)."""
from __future__ import annotations


class UserError(Exception):
    """Something a shopper, an admin or a merchant's feed got wrong, or the machine cannot do; never a bug."""

    def in_language(self, lang: str) -> str:
        """The message in the shopper's language (`lang`: a locale code such as "zh-CN") where an error has the
        words for it; English otherwise."""
        return str(self)

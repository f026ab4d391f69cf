"""What a page shows as it opens: drawn into the page when the storefront started before the page was built
(`app.serve`), and brought up to date by the page's load event, which sends only what changed since (an admin may
have switched the model, changed the catalog or saved new defaults): every update it sends redraws a component,
and on a phone's main thread that is what makes a page slow to answer its first tap."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from search.ranking import Ranking
from storefront.front import Storefront


@dataclass(frozen=True)
class Opening:
    banner: str = ""
    model_line: str = ""
    facets: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    ranking: Ranking | None = None

    @classmethod
    def of(cls, storefront: Storefront, lang: str = "en") -> Opening:
        if not storefront.started:
            return cls()  # the page built at import, before anything started: everything is filled in on load
        return cls(banner=storefront.banner(lang), model_line=storefront.model_line(lang),
                   facets=storefront.facet_choices(), ranking=storefront.settings.ranking)

    def values(self) -> dict[str, Any]:
        """Every value a staff page's load event may update, by the name of its component; none before the start
        (the shoppers' page asks for its own: `page/shopper_calls.py`)."""
        if self.ranking is None:
            return {}
        return {"banner": self.banner, **self.ranking.values()}

    def changed(self, since: Opening) -> dict[str, Any]:
        """What this opening shows differently from `since`, by name."""
        before = since.values()
        return {name: value for name, value in self.values().items()
                if name not in before or before[name] != value}

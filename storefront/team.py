"""The product team's loop, behind the admin password: what shoppers searched and opened (`insights`, `events_csv`),
tuning from it (`replay`, whose proposal the Tuning page shows and moves its sliders to) and their own labelled set
(`evaluate`, kept for the Admin's model switch to compare models on). Every call checks the password itself."""
from __future__ import annotations

import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from catalog.errors import UserError
from search.choices import ranking_choice
from search.evaluate import EvalReport
from search.ranking import Ranking
from storefront.admin import Admin
from storefront.insights import Days, Insights, events_csv, insights
from storefront.labelled import LabelledSet, compare, read_labelled_set
from storefront.replay import ReplayReport, replay
from storefront.text import say

MOST_DAYS = 400  # a range of days asked at once: more than the events are kept by default, and bounded


@dataclass(frozen=True)
class Evaluation:
    labelled: LabelledSet
    reports: dict[str, EvalReport]  # by the setting's name in the reader's language: sliders, saved, proposed


class Team:
    def __init__(self, admin: Admin) -> None:
        self.admin = admin
        self.storefront = admin.storefront
        self.proposed: Ranking | None = None  # the last replay's proposal
        self.labelled: LabelledSet | None = None  # the last labelled set uploaded

    def insights(self, password: str | None, first: Any = None, last: Any = None) -> Insights:
        self.admin.check(password)
        days = days_asked(first, last)
        return insights(self.storefront.events.written(), days, self.storefront.service().store.ids())

    def events_csv(self, password: str | None, first: Any = None, last: Any = None) -> Path:
        """The events of the days as a CSV file, to download."""
        self.admin.check(password)
        days = days_asked(first, last)
        with tempfile.NamedTemporaryFile("w", suffix=".csv", prefix=f"search-events-{days.first}-{days.last}-",
                                         delete=False, encoding="utf-8", newline="") as out:
            out.write(events_csv(self.storefront.events.written(), days))
        return Path(out.name)

    def replay(self, password: str | None, first: Any = None, last: Any = None) -> ReplayReport:
        self.admin.check(password)
        report = replay(self.storefront.service(), self.storefront.events.written(), days_asked(first, last),
                        self.storefront.settings.ranking)
        if report.proposed is not None:
            self.proposed = report.proposed.ranking
        return report

    def evaluate(self, password: str | None, labels: str | Path | None, photos: str | Path | None = None,
                 sliders: dict[str, object] | None = None, lang: str = "en") -> Evaluation:
        """The labelled set for the current sliders (when given), the saved settings and the replay's proposal (when
        there is one), side by side; the set is kept for the model switch."""
        self.admin.check(password)
        if not labels:
            raise UserError("no_labels")
        storefront = self.storefront
        labelled = read_labelled_set(Path(labels), Path(photos) if photos else None, storefront.load_url,
                                     storefront.photo)
        saved = storefront.settings.ranking
        rankings = {say(lang, "setting_saved"): saved}
        if sliders:
            sliders_ranking = Ranking.of(**{**saved.values(), **ranking_choice(sliders)})  # a browser sends any type
            rankings = {say(lang, "setting_sliders"): sliders_ranking, **rankings}
        if self.proposed is not None:
            rankings[say(lang, "setting_proposed")] = self.proposed
        self.labelled = labelled
        return Evaluation(labelled, compare(storefront.service(), labelled, rankings))


def days_asked(first: Any, last: Any) -> Days:
    """The days a reader asked for, as YYYY-MM-DD (either left empty: the last 30 days, or up to the other one);
    raises `UserError` naming the field that is wrong."""
    default = Days.last_days()
    days = Days(_day(first, "first_day") or default.first, _day(last, "last_day") or default.last)
    if days.first > days.last:
        raise UserError("days_reversed", first=days.first, last=days.last)
    if (days.last - days.first).days >= MOST_DAYS:
        raise UserError("too_many_days", most=MOST_DAYS, days=(days.last - days.first).days + 1)
    return days


def _day(value: Any, field: str) -> date | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        if isinstance(value, str):
            return date.fromisoformat(value.strip()[:10])
    except ValueError:
        pass
    raise UserError("bad_day", field=field, value=str(value)[:40])

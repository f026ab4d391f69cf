"""A model update checked before it serves: the Admin's preset is indexed into a collection of its own while the
current model keeps serving; both are evaluated side by side (on the team's labelled set, or on queries drawn from the
catalog where none was uploaded, and on the replayable searches shoppers opened something from); the new model
serves only when the admin confirms; the one it replaced is kept, loaded, for a rollback that needs no re-indexing,
until the admin removes it."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from search.config import Settings
from search.encoders.registry import spec_of
from search.evaluate import EvalReport, LabelledQuery, evaluate_ranking, sample_queries
from search.indexer import rows_of
from search.service import SearchService, build_service
from storefront.admin import PRESETS, Admin, AdminError, Progress, indexed_summary
from storefront.insights import Days
from storefront.labelled import comparison_table
from storefront.replay import MOST_REPLAYED, mean_reciprocal_rank, opened_searches
from storefront.team import Team
from storefront.text import say


@dataclass(frozen=True)
class Served:
    """A model with its collection, ready to serve, and the settings that name it."""

    service: SearchService
    settings: Settings

    @property
    def label(self) -> str:
        name, label = self.settings.model.name, self.service.encoder.info.label
        return label if label.startswith(name) else f"{name} ({label})"


class ModelSwitch:
    def __init__(self, admin: Admin, team: Team) -> None:
        self.admin, self.team, self.storefront = admin, team, admin.storefront
        self.waiting: Served | None = None  # indexed, compared, not serving until confirmed
        self.previous: Served | None = None  # what served before the last switch, kept for a rollback

    def prepare(self, password: str | None, preset: str, progress: Progress = lambda *_: None,
                lang: str = "en") -> str:
        """The catalog indexed with `preset` beside the serving model, and both models' figures side by side."""
        self.admin.check(password)
        if preset not in PRESETS:
            raise AdminError("unknown_preset", preset=preset, presets=", ".join(PRESETS))
        current = self.storefront.service()
        if preset == self.storefront.settings.model.name:  # its collection is the one serving: nothing to compare
            raise AdminError("already_serving", preset=preset)
        settings = self.storefront.settings.replaced(model=preset, pretrained=None, collection=None)
        with self.admin.writing:
            service = build_service(settings, for_indexing=True)
            if spec_of(preset).torch and service.encoder.info.kind != "clip":
                raise AdminError("preset_unavailable", preset=preset)
            total = max(current.store.count(), 1)
            # stored pictures were checked on their way in: any folder will do as the images folder
            summary = self.storefront.indexer(service).index(
                rows_of(current.store.products()), Path(Path.cwd().anchor),
                progress=lambda done: progress(min(done / total, 1.0), f"{done} of {total} products"))
        candidate = Served(service, settings)
        self.waiting = candidate
        return "\n\n".join([indexed_summary(candidate.label, summary, lang),
                            self._compared(Served(current, self.storefront.settings), candidate, lang)])

    def confirm(self, password: str | None, lang: str = "en") -> str:
        """The waiting model serves from now on; the one it replaces is kept for a rollback."""
        self.admin.check(password)
        if self.waiting is None:
            raise AdminError("nothing_to_confirm")
        waiting, self.waiting = self.waiting, None
        self.previous = self._serve(waiting)
        return say(lang, "switched", model=waiting.label)

    def rollback(self, password: str | None, lang: str = "en") -> str:
        """The previous model serves again at once (it is still loaded); the one it replaces becomes the previous."""
        self.admin.check(password)
        if self.previous is None:
            raise AdminError("no_previous")
        back = self.previous
        self.previous = self._serve(back)
        return say(lang, "rolled_back", model=back.label)

    def remove_previous(self, password: str | None, lang: str = "en") -> str:
        self.admin.check(password)
        if self.previous is None:
            raise AdminError("no_previous")
        if self.previous.service.store.name == self.storefront.service().store.name:
            raise AdminError("already_serving", preset=self.previous.settings.model.name)  # never the serving one
        previous, self.previous = self.previous, None
        with self.admin.writing:
            previous.service.store.drop()
        return say(lang, "removed_previous", collection=previous.service.store.name)

    def _serve(self, served: Served) -> Served:
        """`served` serving, its model saved as the one to start with; what served until now."""
        replaced = Served(self.storefront.service(), self.storefront.settings)
        self.storefront.replace_service(served.service, served.settings.save(model=served.settings.model.name))
        return replaced

    def _compared(self, current: Served, candidate: Served, lang: str) -> str:
        """Both models on the labelled set (or the catalog's own queries) and on the replayable searches, ranked as
        the saved settings rank."""
        ranking = self.storefront.settings.ranking
        labelled = self.team.labelled
        if labelled is not None:
            queries, what = labelled.queries, say(lang, "on_labelled", name=labelled.name)
        else:
            queries, what = self_queries(current.service, candidate.service), say(lang, "on_samples")
        names = (f"{say(lang, 'serving')}: {current.label}", f"{say(lang, 'candidate')}: {candidate.label}")
        reports: dict[str, EvalReport] = {name: evaluate_ranking(served.service, queries, ranking)
                                          for name, served in zip(names, (current, candidate))}
        lines = [say(lang, "switch_ready", preset=candidate.settings.model.name, what=what), "",
                 comparison_table(reports, lang)]
        cases = opened_searches(self.storefront.events.written(), Days.last_days())[0][:MOST_REPLAYED]
        mrrs = [mean_reciprocal_rank(served.service, cases, ranking) for served in (current, candidate)]
        if None not in mrrs:
            lines += ["", f"{say(lang, 'on_replay', count=len(cases))}: " +
                      " · ".join(f"{name} **{mrr:.3f}**" for name, mrr in zip(names, mrrs))]
        return "\n".join(lines)


def self_queries(*services: SearchService) -> list[LabelledQuery]:
    """Queries drawn from the catalog: its photos, and its categories' names where every model reads text."""
    first = services[0]
    labelled, _ = sample_queries(first.store.products(),
                                 with_text=all(service.encoder.info.supports_text for service in services))
    return labelled

"""The Insights page (`/insights`, behind the admin password): what shoppers searched and opened over a range of
days, in charts where people would rather look than read and tables where they would rather read; the events as
CSV; and the replay that proposes settings from what shoppers opened. Each handler is a thin adapter of
`storefront.team.Team`, answering in the page's language."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from typing import Any

import gradio as gr
import pandas as pd

from catalog.errors import UserError
from page.doorways import problem
from page.labels import T
from page.wiring import Page, Updates, Values
from search.ranking import KNOB
from storefront.insights import Days, Insights
from storefront.replay import GRID, ReplayReport
from storefront.team import Team
from storefront.text import language, say

LISTED = 30  # products listed as never shown before "and N more"
CHARTS = ("per_day", "per_language", "by_rank", "stage_times")
TABLES = ("nothing_words", "most_opened", "never_shown", "filters")
SHOWN = ("summary", *CHARTS, *TABLES)
REPLAYED_ROWS = 8  # candidates listed under the proposal


def build() -> Page:
    """The page's components by name (the header and the staff links are the app's)."""
    days = Days.last_days()
    parts: dict[str, Any] = {"password": gr.Textbox(label=T("password"), type="password", elem_id="insights-password")}
    with gr.Row(equal_height=True):
        parts["first_day"] = gr.DateTime(days.first.isoformat(), include_time=False, type="string",
                                         label=T("first_day"), elem_id="first-day")
        parts["last_day"] = gr.DateTime(days.last.isoformat(), include_time=False, type="string",
                                        label=T("last_day"), elem_id="last-day")
        parts["show"] = gr.Button(T("show_insights"), variant="primary", elem_id="show-insights")
    parts["summary"] = gr.Markdown(elem_id="insights-summary")
    with gr.Row():
        parts["per_day"] = gr.BarPlot(label=T("per_day"), elem_id="per-day")
        parts["per_language"] = gr.BarPlot(label=T("per_language"), elem_id="per-language")
    with gr.Row():
        parts["by_rank"] = gr.BarPlot(label=T("by_rank"), elem_id="by-rank")
        parts["stage_times"] = gr.BarPlot(label=T("stage_times"), elem_id="stage-times")
    with gr.Row():
        with gr.Column():
            gr.Markdown(T("nothing_words"))
            parts["nothing_words"] = gr.Markdown(elem_id="nothing-words")
            gr.Markdown(T("filters_used"))
            parts["filters"] = gr.Markdown(elem_id="filters-used")
        with gr.Column():
            gr.Markdown(T("most_opened"))
            parts["most_opened"] = gr.Markdown(elem_id="most-opened")
            gr.Markdown(T("never_shown"))
            parts["never_shown"] = gr.Markdown(elem_id="never-shown")
    with gr.Row():
        parts["export"] = gr.Button(T("export_csv"), elem_id="export-events", scale=0, min_width=260)
        parts["csv"] = gr.File(label="CSV", elem_id="events-csv", interactive=False, visible=False)
    gr.Markdown(T("replay_title"))
    parts["replay"] = gr.Button(T("replay"), elem_id="replay")
    parts["replayed"] = gr.Markdown(elem_id="replayed")
    return Page(**parts)


def wire(page: Page, team: Team, lang: gr.Radio) -> None:
    page.parts["lang"] = lang
    days = ("password", "first_day", "last_day", "lang")
    private: dict[str, Any] = {"api_visibility": "private"}
    page.on(page.parts["show"].click, show(team), days, SHOWN, **private)
    page.on(lang.change, show(team, quiet=True), days, SHOWN, **private)  # the same figures, in the other language
    page.on(page.parts["export"].click, export(team), days, ("csv", "summary"), **private)
    page.on(page.parts["replay"].click, replayed(team), days, ("replayed",), **private)


def show(team: Team, quiet: bool = False) -> Callable[[Values, gr.Request], Updates]:
    """The figures of the days asked for; `quiet`: nothing said when nothing was asked yet (no password)."""
    def run(values: Values, request: gr.Request) -> Updates:
        lang = language(values["lang"])
        if quiet and not values["password"]:
            return {}
        try:
            figures = team.insights(values["password"], values["first_day"], values["last_day"])
        except UserError as error:
            return {"summary": problem(error, lang)}
        return drawn(figures, lang, events_on=team.storefront.events.enabled)
    return run


def export(team: Team) -> Callable[[Values, gr.Request], Updates]:
    def run(values: Values, request: gr.Request) -> Updates:
        try:
            csv = team.events_csv(values["password"], values["first_day"], values["last_day"])
            return {"csv": gr.File(str(csv), visible=True)}
        except UserError as error:
            return {"summary": problem(error, language(values["lang"]))}
    return run


def replayed(team: Team) -> Callable[[Values, gr.Request], Updates]:
    def run(values: Values, request: gr.Request) -> Updates:
        lang = language(values["lang"])
        try:
            report = team.replay(values["password"], values["first_day"], values["last_day"])
        except UserError as error:
            return {"replayed": problem(error, lang)}
        return {"replayed": replay_text(report, lang)}
    return run


def drawn(figures: Insights, lang: str, events_on: bool = True) -> Updates:
    """The figures as the page shows them: the charts' columns named in the reader's language."""
    def col(name: str) -> str:
        return say(lang, f"col_{name}")
    summary = say(lang, "insights_summary", first=figures.first_day, last=figures.last_day,
                  searches=figures.searches, nothing=figures.found_nothing, nothing_share=figures.nothing_share,
                  below=figures.nothing_above_threshold, below_share=figures.below_threshold_share,
                  opens=figures.opens)
    per_day = pd.DataFrame(figures.per_day, columns=["day", "kind", "lang", "searches"])
    per_day["kind"] = [say(lang, f"kind_{kind}") for kind in per_day["kind"]]
    by_language = per_day.groupby("lang", as_index=False)["searches"].sum()
    # a bar each stage and percentile, side by side (Gradio stacks the colours of one bar)
    stages = pd.DataFrame([(f"{say(lang, str(row['stage']))} {percentile}", percentile, row[f"{percentile}_ms"])
                           for row in figures.stages for percentile in ("p50", "p95")],
                          columns=["stage", "percentile", "ms"])
    return {
        "summary": summary if events_on else f"{say(lang, 'events_off')}\n\n{summary}",
        "per_day": _bars(per_day.rename(columns={name: col(name) for name in per_day.columns}), col("day"),
                         col("searches"), col("kind")),
        "per_language": _bars(by_language.rename(columns={"lang": col("lang"), "searches": col("searches")}),
                              col("lang"), col("searches")),
        "by_rank": _bars(pd.DataFrame([(str(row["rank"]), row["opens"]) for row in figures.opens_by_rank],
                                      columns=[col("rank"), col("opens")]), col("rank"), col("opens"),
                         sort=[str(row["rank"]) for row in figures.opens_by_rank]),
        "stage_times": _bars(stages.rename(columns={name: col(name) for name in stages.columns}), col("stage"),
                             col("ms"), col("percentile"), sort=list(stages["stage"])),
        "nothing_words": _table(figures.nothing_words, ("words", "searches"), lang),
        "most_opened": _table(figures.most_opened, ("product_id", "opens", "shown"), lang),
        "never_shown": _listed(figures.never_shown, lang),
        "filters": _table(figures.filters, ("filter", "value", "searches"), lang),
    }


def _bars(frame: pd.DataFrame, x: str, y: str, color: str | None = None, sort: list[str] | None = None) -> gr.BarPlot:
    """A bar chart of `frame` (its columns already in the reader's words); bars side by side per colour."""
    return gr.BarPlot(frame, x=x, y=y, color=color, sort=sort, x_title=x, y_title=y, y_lim=[0, None])


def _table(rows: list[dict[str, object]], names: tuple[str, ...], lang: str) -> str:
    if not rows:
        return say(lang, "none_listed")
    heads = [say(lang, "col_product" if name == "product_id" else f"col_{name}") for name in names]
    return "\n".join([f"| {' | '.join(heads)} |", "|" + " --- |" * len(names),
                      *(f"| {' | '.join(str(row[name]) for name in names)} |" for row in rows)])


def _listed(ids: list[str], lang: str) -> str:
    if not ids:
        return say(lang, "none_listed")
    more = f" {say(lang, 'more_listed', count=len(ids) - LISTED)}" if len(ids) > LISTED else ""
    return ", ".join(f"`{id}`" for id in ids[:LISTED]) + more


def replay_text(report: ReplayReport, lang: str) -> str:
    """The replay's counts, its proposal, and the best candidates with their fitted and held-out MRR."""
    if report.proposed is None or report.current is None:
        return say(lang, "replay_none", others=report.not_replayable)
    words = lang == "zh-CN"

    def knobs(ranking) -> str:
        return ", ".join(f"{KNOB[name].label[words]} {getattr(ranking, name):g}" for name in GRID)
    lines = [say(lang, "replay_summary", replayed=report.replayed, sessions=report.sessions,
                 held_out=report.held_out, others=report.not_replayable), ""]
    if report.proposed.ranking == report.current.ranking:
        lines.append(say(lang, "replay_keep", current=report.current.held_out_mrr))
    else:
        lines.append(say(lang, "replay_proposal", knobs=knobs(report.proposed.ranking),
                         proposed=report.proposed.held_out_mrr, current=report.current.held_out_mrr))
    shown = report.candidates[:REPLAYED_ROWS]
    if report.current not in shown:
        shown.append(report.current)
    lines += ["", f"| {say(lang, 'col_setting')} | {say(lang, 'col_fit')} | {say(lang, 'col_held_out')} |",
              "| --- | ---: | ---: |"]
    lines += [f"| {knobs(scored.ranking)}{' ←' if scored is report.current else ''} | {scored.fit_mrr:.3f} | "
              f"{scored.held_out_mrr:.3f} |" for scored in shown]
    return "\n".join(lines)


def insights_json(figures: Insights) -> dict[str, Any]:
    """The figures as the `/insights` endpoint answers them."""
    return {**asdict(figures), "nothing_share": figures.nothing_share,
            "below_threshold_share": figures.below_threshold_share}

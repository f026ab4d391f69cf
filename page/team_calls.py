"""The product team's named API endpoints, thin adapters of `storefront.team.Team`: `/insights`, `/replay_events` and
`/evaluate` answer JSON, `/export_events` a CSV file; the password comes first. A problem (a wrong password, a day
that is not one, an unreadable labels file) is answered as `{"problem": "..."}`, never a traceback."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from typing import Any

import gradio as gr

from catalog.errors import UserError
from page.agent_tools import not_an_mcp_tool
from page.doorways import problem
from page.insights import insights_json
from search.evaluate import EvalReport
from storefront.replay import ReplayReport, Scored
from storefront.team import Team


def endpoints(team: Team) -> dict[str, Callable[..., Any]]:
    def insights(password, first_day=None, last_day=None) -> dict[str, Any]:
        return _answered(lambda: insights_json(team.insights(password, first_day, last_day)))

    def export_events(password, first_day=None, last_day=None) -> str:
        try:
            return str(team.events_csv(password, first_day, last_day))
        except UserError as error:  # no JSON to carry it: Gradio's error, worded as the problem
            raise gr.Error(problem(error), print_exception=False) from None

    def replay_events(password, first_day=None, last_day=None) -> dict[str, Any]:
        return _answered(lambda: replay_json(team.replay(password, first_day, last_day)))

    def evaluate(password, labels, photos=None) -> dict[str, Any]:
        return _answered(lambda: {name: report_json(report) for name, report in
                                  team.evaluate(password, labels, photos).reports.items()})

    return {name: not_an_mcp_tool(call) for name, call in (
        ("insights", insights), ("export_events", export_events), ("replay_events", replay_events),
        ("evaluate", evaluate))}


def _answered(call: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    try:
        return call()
    except UserError as error:
        return {"problem": problem(error)}


def replay_json(report: ReplayReport) -> dict[str, Any]:
    def scored(one: Scored | None) -> dict[str, Any] | None:
        return None if one is None else {"settings": one.ranking.values(), "fit_mrr": one.fit_mrr,
                                         "held_out_mrr": one.held_out_mrr}
    return {"replayed": report.replayed, "sessions": report.sessions, "held_out": report.held_out,
            "not_replayable": report.not_replayable, "current": scored(report.current),
            "proposed": scored(report.proposed), "candidates": [scored(one) for one in report.candidates]}


def report_json(report: EvalReport) -> dict[str, Any]:
    figures = asdict(report)
    figures["recall"] = {f"@{k}": value for k, value in report.recall.items()}
    figures["curve"] = [{"min_score": t, "precision": p, "recall": r} for t, p, r in report.curve]
    return figures

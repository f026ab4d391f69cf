"""The product team's tab: the ranking sliders (live), the current results' scores against the threshold, the
time per stage, the threshold curve on sample queries, and saving the settings as everyone's defaults."""
from __future__ import annotations

from dataclasses import dataclass

import gradio as gr

from page.labels import T
from search.config import Settings


@dataclass
class TuningView:
    min_score: gr.Slider
    top_k: gr.Slider
    rerank_weight: gr.Slider
    keyword_weight: gr.Slider
    password: gr.Textbox
    save: gr.Button
    saved: gr.Markdown
    preview: gr.Gallery
    histogram: gr.Plot
    timings: gr.Markdown
    curve: gr.Plot


def build(settings: Settings, admin_enabled: bool) -> TuningView:
    with gr.Row():
        with gr.Column(scale=1, min_width=300):
            min_score = gr.Slider(0, 1, value=settings.min_score, step=0.01, label=T("min_score"),
                                  elem_id="min-score")
            top_k = gr.Slider(1, 48, value=settings.top_k, step=1, label=T("top_k"), elem_id="top-k")
            rerank_weight = gr.Slider(0, 1, value=settings.rerank_weight, step=0.05, label=T("rerank"),
                                      info=T("rerank_info"), elem_id="rerank")
            keyword_weight = gr.Slider(0, 1, value=settings.keyword_weight, step=0.05, label=T("keyword_weight"),
                                       info=T("keyword_info"), elem_id="keyword-weight")
            with gr.Group(visible=admin_enabled):
                password = gr.Textbox(label=T("password"), type="password", elem_id="tuning-password")
                save = gr.Button(T("save_defaults"), elem_id="save-defaults")
            saved = gr.Markdown()
            gr.Markdown(T("timings"))
            timings = gr.Markdown(elem_id="timings")
        with gr.Column(scale=2):
            gr.Markdown(T("histogram"))
            histogram = gr.Plot(show_label=False, elem_id="histogram")
            preview = gr.Gallery(label=T("preview"), columns=8, height="auto", object_fit="contain",
                                 allow_preview=False, elem_id="preview")
    gr.Markdown(T("curve"))
    curve = gr.Plot(show_label=False, elem_id="curve")
    return TuningView(min_score=min_score, top_k=top_k, rerank_weight=rerank_weight, keyword_weight=keyword_weight,
                      password=password, save=save, saved=saved, preview=preview, histogram=histogram,
                      timings=timings, curve=curve)

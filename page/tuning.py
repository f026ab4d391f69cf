"""The product team's page (`/tuning`): a query of its own (a photo, a text or both), the ranking sliders with the
results following them live, the results' scores against the threshold, the time per stage, the threshold curve on
sample queries, and saving the settings as everyone's defaults (the shoppers' page searches with them)."""
from __future__ import annotations

from dataclasses import dataclass

import gradio as gr

from page.inputs import PhotoInput, any_file_input
from page.labels import T
from search.config import Settings
from search.ranking import KNOBS, Ranking


@dataclass
class TuningView:
    photo: PhotoInput
    text: gr.Textbox
    find_items: gr.Button
    sliders: dict[str, gr.Slider]  # one a ranking knob (search.ranking.KNOBS), by its name
    password: gr.Textbox
    save: gr.Button
    saved: gr.Markdown
    status: gr.Markdown
    preview: gr.Gallery
    histogram: gr.Plot
    timings: gr.Markdown
    curve: gr.Plot
    labelled: LabelledView


@dataclass
class LabelledView:
    """The team's own labelled set, evaluated for the sliders, the saved settings and the replay's proposal (with an
    admin password configured: the set is the team's, and its evaluation is behind the password)."""

    labels: gr.File
    photos: gr.File
    evaluate: gr.Button
    use_proposal: gr.Button
    figures: gr.Markdown
    curves: gr.Plot


def build(settings: Settings, admin_enabled: bool) -> TuningView:
    with gr.Row():
        with gr.Column(scale=1, min_width=300):
            gr.Markdown(T("try_query"))
            photo = PhotoInput(sources=["upload", "clipboard"], type="filepath", label=T("photo"), height=200,
                               elem_id="tuning-photo")
            find_items = gr.Button(T("find_items"), size="sm", elem_id="tuning-find-items")
            text = gr.Textbox(label=T("text"), placeholder=T("text_placeholder"), elem_id="tuning-text")
            sliders = ranking_sliders(settings.ranking)
            with gr.Group(visible=admin_enabled):
                password = gr.Textbox(label=T("password"), type="password", elem_id="tuning-password")
                save = gr.Button(T("save_defaults"), elem_id="save-defaults")
            saved = gr.Markdown(elem_id="saved")
        with gr.Column(scale=2, min_width=300):
            status = gr.Markdown(elem_id="tuning-status")
            preview = gr.Gallery(label=T("preview"), columns=6, height="auto", object_fit="contain",
                                 allow_preview=False, elem_id="preview")
            gr.Markdown(T("histogram"))
            histogram = gr.Plot(show_label=False, elem_id="histogram")
            gr.Markdown(T("timings"))
            timings = gr.Markdown(elem_id="timings")
    gr.Markdown(T("curve"))
    curve = gr.Plot(show_label=False, elem_id="curve")
    return TuningView(photo=photo, text=text, find_items=find_items, sliders=sliders,
                      password=password, save=save, saved=saved, status=status, preview=preview, histogram=histogram,
                      timings=timings, curve=curve, labelled=_labelled_set(admin_enabled))


def _labelled_set(admin_enabled: bool) -> LabelledView:
    with gr.Group(visible=admin_enabled):
        gr.Markdown(T("labelled_title"))
        with gr.Row(equal_height=True):
            labels = any_file_input(label=T("labels_file"), file_types=[".csv"], elem_id="labels-file")
            photos = any_file_input(label=T("labels_photos"), file_types=[".zip"], elem_id="labels-photos")
        with gr.Row():
            evaluate = gr.Button(T("evaluate"), variant="primary", elem_id="evaluate")
            use_proposal = gr.Button(T("use_proposal"), elem_id="use-proposal")
        figures = gr.Markdown(elem_id="labelled-figures")
        curves = gr.Plot(show_label=False, elem_id="labelled-curves")
    return LabelledView(labels=labels, photos=photos, evaluate=evaluate, use_proposal=use_proposal, figures=figures,
                        curves=curves)


def ranking_sliders(ranking: Ranking, visible: bool = True) -> dict[str, gr.Slider]:
    """A slider per ranking knob, by name, at the knob's range and step and at `ranking`'s value: on the Tuning page,
    and hidden as the named API endpoints' inputs."""
    return {knob.name: gr.Slider(knob.least, knob.most, value=getattr(ranking, knob.name), step=knob.step,
                                 label=T(f"knob_{knob.name}"), info=T(f"knob_{knob.name}_info") if knob.info else None,
                                 visible=visible, elem_id=knob.name.replace("_", "-") if visible else None)
            for knob in KNOBS}

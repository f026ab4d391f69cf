"""The admins' tab (only when an admin password is configured): feed upload with progress, deletion, store
statistics, and the model preset switch."""
from __future__ import annotations

from dataclasses import dataclass

import gradio as gr

from page.inputs import any_file_input
from page.labels import T
from storefront.admin import PRESETS


@dataclass
class AdminView:
    password: gr.Textbox
    stats: gr.Markdown
    refresh: gr.Button
    feed: gr.File
    images_root: gr.Textbox
    index: gr.Button
    ingest_result: gr.Markdown
    delete_ids: gr.Textbox
    delete: gr.Button
    delete_result: gr.Markdown
    preset: gr.Dropdown
    switch: gr.Button
    switch_result: gr.Markdown
    confirm: gr.Button
    rollback: gr.Button
    remove_previous: gr.Button


def build(current_model: str) -> AdminView:
    password = gr.Textbox(label=T("password"), type="password", elem_id="admin-password")
    with gr.Row():
        with gr.Column():
            feed = any_file_input(label=T("feed"), file_types=[".csv", ".tsv", ".txt", ".jsonl", ".json", ".parquet",
                                                         ".xml"], elem_id="feed")
            images_root = gr.Textbox(label=T("images_root"))
            index = gr.Button(T("index"), variant="primary")
            ingest_result = gr.Markdown(elem_id="ingest-result")
            delete_ids = gr.Textbox(label=T("delete_ids"), lines=2)
            delete = gr.Button(T("delete"), variant="stop")
            delete_result = gr.Markdown()
        with gr.Column():
            refresh = gr.Button(T("stats"))
            stats = gr.Markdown(elem_id="stats")
            # at the model serving now, a preset or an open_clip name of the admins' own (words in no language)
            preset = gr.Dropdown(list(PRESETS), value=current_model, label=T("preset"), allow_custom_value=True)
            switch = gr.Button(T("switch"))
            switch_result = gr.Markdown(elem_id="switch-result")
            with gr.Row():
                confirm = gr.Button(T("confirm_switch"), variant="primary", elem_id="confirm-switch")
                rollback = gr.Button(T("rollback"), elem_id="rollback")
                remove_previous = gr.Button(T("remove_previous"), variant="stop", elem_id="remove-previous")
    return AdminView(password=password, stats=stats, refresh=refresh, feed=feed, images_root=images_root, index=index,
                     ingest_result=ingest_result, delete_ids=delete_ids, delete=delete, delete_result=delete_result,
                     preset=preset, switch=switch, switch_result=switch_result, confirm=confirm, rollback=rollback,
                     remove_previous=remove_previous)

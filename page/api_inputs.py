"""The named API endpoints' inputs and outputs: hidden components of the shoppers' page, of the kinds and labels the
endpoints have always had (gradio_client callers pass them by position, in the documented order). Hidden
components are never drawn, so they cost a shopper's phone nothing."""
from __future__ import annotations

from dataclasses import dataclass

import gradio as gr

from page import tuning as tuning_tab
from page.inputs import ApiPhotoInput
from page.labels import T
from page.opening import Opening
from search.config import Settings


@dataclass
class ApiInputs:
    photo: ApiPhotoInput
    text: gr.Textbox
    brands: gr.Dropdown
    categories: gr.Dropdown
    colours: gr.Dropdown
    min_price: gr.Number
    max_price: gr.Number
    in_stock: gr.Checkbox
    product_id: gr.Textbox
    ranking: dict[str, gr.Slider]
    gallery: gr.Gallery
    status: gr.Markdown


def build(settings: Settings, opening: Opening) -> ApiInputs:
    def facet(name: str, label: str) -> gr.Dropdown:
        return gr.Dropdown(opening.facets.get(name, []), multiselect=True, label=T(label), allow_custom_value=True,
                           visible=False)
    return ApiInputs(
        photo=ApiPhotoInput(type="filepath", label=T("photo"), visible=False),
        text=gr.Textbox(label=T("text"), visible=False),
        brands=facet("brand", "brand"), categories=facet("category", "category"), colours=facet("colour", "colour"),
        min_price=gr.Number(None, label=T("min_price"), minimum=0, visible=False),
        max_price=gr.Number(None, label=T("max_price"), minimum=0, visible=False),
        in_stock=gr.Checkbox(label=T("in_stock"), visible=False),
        product_id=gr.Textbox(visible=False, label="Product id"),
        ranking=tuning_tab.ranking_sliders(settings.ranking, visible=False),
        gallery=gr.Gallery(label=T("results"), visible=False), status=gr.Markdown(visible=False))

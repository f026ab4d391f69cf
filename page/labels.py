"""The page's fixed labels through Gradio's own i18n: `T("key")` in a layout is shown in the language the browser
(or the page's language switch) chose. The words themselves are in `storefront/text.py`, beside the messages."""
from __future__ import annotations

import gradio as gr

from storefront.text import LABELS

# Staff pages are reached by their address, and link to each other; shoppers see no link to them (Gradio's own page
# bar is hidden). Insights and Admin exist only behind the admin password.
STAFF_PAGES = (("shop", "./"), ("tuning", "./tuning"), ("insights", "./insights"), ("admin", "./admin"))
OPEN_PAGES = 2  # the first two: without an admin password, the only pages there are


def _links(labels: dict[str, str], pages: tuple[tuple[str, str], ...]) -> str:
    return " · ".join(f"[{labels[f'page_{name}']}]({address})" for name, address in pages)


I18N = gr.I18n(**{locale: {**labels, "staff_links": _links(labels, STAFF_PAGES),
                           "open_staff_links": _links(labels, STAFF_PAGES[:OPEN_PAGES])}
                  for locale, labels in LABELS.items()})
T = I18N  # T("key") in layouts

"""The page's fixed labels through Gradio's own i18n: `T("key")` in a layout is shown in the language the browser
(or the page's language switch) chose. The words themselves are in `storefront/text.py`, beside the messages."""
from __future__ import annotations

import gradio as gr

from storefront.text import LABELS

I18N = gr.I18n(**{locale: labels for locale, labels in LABELS.items()})
T = I18N  # T("key") in layouts

"""What the page does, as plain functions of the search service: no Gradio here, so every part is tested
directly. `front.Storefront` assembles the parts; `results` and `text` say what the page shows, in English and
Chinese; `tuning` draws the product team's charts; `admin` holds the password-checked actions."""

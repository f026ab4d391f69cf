"""The Gradio layout of the storefront: one module per tab, plus the translations of the page's labels."""

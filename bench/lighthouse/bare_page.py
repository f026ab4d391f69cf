"""The reference page for bench/lighthouse.py: a bare Gradio Blocks page with a text box and a button."""
import sys

import gradio as gr

with gr.Blocks() as page:
    words = gr.Textbox(label="Words")
    button = gr.Button("Go")
    button.click(lambda text: text.upper(), words, words)

page.launch(server_name="127.0.0.1", server_port=int(sys.argv[1]))

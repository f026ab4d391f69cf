"""The page's components by name, and its events wired by name: a handler reads `values["text"]` and returns
`{"status": ...}`, never a position in a list. Gradio's dict inputs and returns do the work (an event whose inputs
are a set gets one dict; a dict returned updates only the components it names)."""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

import gradio as gr

Values = Mapping[str, Any]  # what a handler reads, by name
Updates = dict[str, Any]  # what it changes, by name; a name left out is left as it is
Handler = Callable[[Values, Any], Updates]  # (values, the request or what was selected)


class Page:
    """Every component an event reads or writes, by name."""

    def __init__(self, **parts: Any) -> None:
        self.parts: dict[str, Any] = parts  # components, typed Any: each kind has events of its own

    def on(self, trigger: Callable, handler: Handler, inputs: Iterable[str] = (), outputs: Iterable[str] = (),
           **options: Any):
        """`trigger(...)` running `handler(values, request)`: its inputs and outputs named, not listed."""
        names, outputs = list(inputs), list(outputs)
        call = self._by_name(handler, names, len(outputs))
        if names:
            def run(values: dict, request: gr.Request) -> Any:  # Gradio injects the request by its annotation
                return call(values, request)
        else:
            def run(request: gr.Request) -> Any:  # type: ignore[misc]  # the same name, a signature of its own
                return call({}, request)
        return trigger(run, inputs={self.parts[n] for n in names} or None,
                       outputs=[self.parts[n] for n in outputs] or None, **options)

    def on_select(self, trigger: Callable, handler: Handler, inputs: Iterable[str] = (),
                  outputs: Iterable[str] = (), **options: Any):
        """As `on`, for a select event: the handler also gets what was selected, `handler(values, selected)`."""
        names, outputs = list(inputs), list(outputs)
        call = self._by_name(handler, names, len(outputs))

        def run(values: dict, selected: gr.SelectData) -> Any:
            return call(values, selected)
        return trigger(run, inputs={self.parts[n] for n in names}, outputs=[self.parts[n] for n in outputs],
                       **options)

    def _by_name(self, handler: Handler, names: list[str], outputs: int) -> Callable[[dict, Any], Any]:
        """The handler between components and names: values in by component, updates out by component."""
        by_part, parts = {self.parts[n]: n for n in names}, self.parts

        def call(values: dict, extra: Any) -> Any:
            return _components(parts, handler({by_part[c]: v for c, v in values.items()}, extra), outputs)
        return call


def _components(parts: Mapping[str, Any], updates: Updates, outputs: int) -> Any:
    """The updates keyed by component. Nothing to update is said with gr.skip() for each output: Gradio reads an
    empty dict as one value."""
    if not updates:
        return gr.skip() if outputs == 1 else tuple(gr.skip() for _ in range(outputs))
    return {parts[name]: value for name, value in updates.items()}

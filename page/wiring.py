"""The page's components by name, and its events wired by name: a handler reads `values["text"]` and returns
`{"status": ...}`, never a position in a list. Gradio's dict inputs and returns do the work (an event whose inputs
are a set gets one dict; a dict returned updates only the components it names).

Each value is read here, by its component's own preprocessing, not by Gradio's before the event: a hostile browser
may send any value for any component, and Gradio met a wrong type (a word for a slider) with a traceback in the
server's log and a bare "Error" on the page; here it is refused by name, in the page's language."""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

import gradio as gr

from page.doorways import problem
from search.choices import InvalidInput
from storefront.text import language

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
                       outputs=[self.parts[n] for n in outputs] or None, preprocess=False, **options)

    def on_select(self, trigger: Callable, handler: Handler, inputs: Iterable[str] = (),
                  outputs: Iterable[str] = (), **options: Any):
        """As `on`, for a select event: the handler also gets what was selected, `handler(values, selected)`."""
        names, outputs = list(inputs), list(outputs)
        call = self._by_name(handler, names, len(outputs))

        def run(values: dict, selected: gr.SelectData) -> Any:
            return call(values, selected)
        return trigger(run, inputs={self.parts[n] for n in names}, outputs=[self.parts[n] for n in outputs],
                       preprocess=False, **options)

    def _by_name(self, handler: Handler, names: list[str], outputs: int) -> Callable[[dict, Any], Any]:
        """The handler between components and names: values in by component, updates out by component."""
        by_part, parts = {self.parts[n]: n for n in names}, self.parts

        def call(values: dict, extra: Any) -> Any:
            return _components(parts, handler(_read(parts, {by_part[c]: v for c, v in values.items()}), extra),
                               outputs)
        return call


def _read(parts: Mapping[str, Any], sent: dict[str, Any]) -> dict[str, Any]:
    """Each value as its component reads it (a state's is the session's own, which Gradio hands over as it is); one
    that its component cannot read is refused by name, in the page's language, with no traceback."""
    read = {}
    for name, payload in sent.items():
        component = parts[name]
        try:
            read[name] = payload if component.stateful else component.preprocess(_validated(component, payload))
        except Exception as error:  # whatever a component's reading raises for a value it cannot read
            refused = problem(InvalidInput(name, "takes_valid"), language(sent.get("lang")))
            raise gr.Error(refused, print_exception=False) from error
    return read


def _validated(component: Any, payload: Any) -> Any:
    """A file's or a picture's value as its data model holds it (Gradio checked it already, and hands it over as a
    plain dict when it does not preprocess)."""
    model = getattr(component, "data_model", None)
    return payload if model is None or payload is None else model.model_validate(payload)


def _components(parts: Mapping[str, Any], updates: Updates, outputs: int) -> Any:
    """The updates keyed by component. Nothing to update is said with gr.skip() for each output: Gradio reads an
    empty dict as one value."""
    if not updates:
        return gr.skip() if outputs == 1 else tuple(gr.skip() for _ in range(outputs))
    return {parts[name]: value for name, value in updates.items()}

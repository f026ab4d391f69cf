"""What every Gradio doorway shares around `storefront.doorway.Doorway`: who the client is (for the limits) and how a
problem reads on a page or in the API, one line in the reader's language, never a traceback."""
from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import gradio as gr

from catalog.errors import UserError
from storefront.doorway import Client

WARNING = "⚠️"  # what a problem's line starts with, on every page and in the script


def positional(fn: Callable[..., Any], names: tuple[str, ...], required: int, defaults: dict[str, Any] | None = None,
               request: bool = True) -> Callable[..., Any]:
    """`fn([request,] *values)` as Gradio and its API page see it: parameters named `names` (a named endpoint's
    documented contract, which gradio_client callers may pass by keyword), those after the first `required` optional
    (None, or their `defaults`), and the request Gradio hands it first (a parameter annotated `gr.Request`)."""
    first = [inspect.Parameter("request", inspect.Parameter.POSITIONAL_OR_KEYWORD)] if request else []
    fn.__signature__ = inspect.Signature([*first, *(  # type: ignore[attr-defined]
        inspect.Parameter(name, inspect.Parameter.POSITIONAL_OR_KEYWORD, default=inspect.Parameter.empty
                          if index < required else (defaults or {}).get(name))
        for index, name in enumerate(names))])
    return fn


def listed(value: Any) -> Any:
    """An absent list (a caller's null) is an empty one; anything else is for the protocol to judge."""
    return [] if value is None else value


def client_of(request: gr.Request | None, doorway: str) -> Client:
    """The client as the limits count it. Behind a proxy (a Space) the address is the last X-Forwarded-For entry,
    the one the proxy added: the entries before it are whatever the client sent. An MCP tool call gets the HTTP
    request itself, and Gradio's MCP server keeps no session: it is counted by address."""
    if request is None:
        return Client(doorway)
    session = getattr(request, "session_hash", None)
    try:  # a gr.Request made without an HTTP request (a test's, an event's) has no headers
        headers, http = request.headers, getattr(request, "client", None)
    except (AttributeError, KeyError):
        return Client(doorway, session)
    forwarded = (headers.get("x-forwarded-for") or "").split(",")[-1].strip()
    return Client(doorway, session, forwarded or (http.host if http else None))


def problem(error: UserError, lang: str = "en", names: dict[str, str] | None = None) -> str:
    """How a page and the API say what went wrong; an input named as this doorway names it (`names`: the protocol's
    field -> the doorway's)."""
    return f"{WARNING} {error.renamed(names or {}).in_language(lang)}"

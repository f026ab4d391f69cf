"""`python tests/kill_at.py MODULE:ATTRIBUTE N WHEN -- ARGS...` runs `python -m search ARGS` and SIGKILLs itself
at the N-th call of the function named by MODULE:ATTRIBUTE: `before` the call, `after` it, or `half` way through
(a Chroma write of only the first half of its records). The crash is as real as `kill -9`; only its moment is
chosen, so the tests can put it where it would hurt most."""
import functools
import importlib
import os
import signal
import sys
import threading
from pathlib import Path


def _die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def _half(original, *args, **records):
    size = len(records["ids"]) // 2
    original(*args, **{key: value[:size] for key, value in records.items() if value is not None})
    _die()


def kill_at(target: str, nth: int, when: str) -> None:
    module_name, attribute = target.split(":")
    *path, name = attribute.split(".")
    owner = importlib.import_module(module_name)
    for part in path:
        owner = getattr(owner, part)
    original, calls, lock = getattr(owner, name), [0], threading.Lock()

    @functools.wraps(original)
    def dying(*args, **kwargs):
        with lock:
            calls[0] += 1
            fatal = calls[0] == nth
        if fatal and when == "before":
            _die()
        if fatal and when == "half":
            _half(original, *args, **kwargs)
        result = original(*args, **kwargs)
        if fatal:
            _die()
        return result

    setattr(owner, name, dying)


if __name__ == "__main__":
    sys.path[0] = str(Path(__file__).resolve().parent.parent)  # the project, as for `python -m search`
    target, nth, when, separator, *arguments = sys.argv[1:]
    assert separator == "--" and when in ("before", "after", "half")
    kill_at(target, int(nth), when)
    from search.__main__ import main

    sys.exit(main(arguments))

"""`python ARGS` as a process of its own, forked from a server that has imported torch, open_clip, chromadb and the
project's search and storefront layers once (per test worker), instead of a fresh interpreter importing them
again for 8 seconds each time.

Each is still a separate process with its own memory and its own store handles, killed as for real
(`kill -9`); only the imports are shared. Nothing that reads the environment at import is preloaded (Gradio
reads GRADIO_TEMP_DIR then, so `app.py` imports it in the child), and no thread runs in the server when it
forks. Where a fresh interpreter itself is under test (the tiny CLIP's weights being the same in every
process), tests start one with `subprocess`.
"""
from __future__ import annotations

import atexit
import multiprocessing
import os
import runpy
import subprocess
import sys
import tempfile
from pathlib import Path

PRELOADED = ["torch", "open_clip", "chromadb", "search.__main__", "storefront.front", "storefront.admin"]
_FORKS = multiprocessing.get_context("forkserver")
_FORKS.set_forkserver_preload(PRELOADED)


def _python(args: list[str], cwd: str, env: dict[str, str], stdout: str, stderr: str) -> None:
    """What `python ARGS` does after its imports, in the forked child: the caller's working folder, environment
    and output files; `-m MODULE` or a script run as `__main__`; exit handlers on the way out."""
    os.chdir(cwd)
    os.environ.clear()
    os.environ.update(env)
    for fd, path in ((1, stdout), (2, stderr)):
        target = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
        os.dup2(target, fd)
        os.close(target)
    try:
        if args[0] == "-m":
            sys.argv, sys.path[0] = [args[1], *args[2:]], cwd
            runpy.run_module(args[1], run_name="__main__", alter_sys=True)
        else:
            sys.argv, sys.path[0] = list(args), str(Path(args[0]).resolve().parent)
            runpy.run_path(args[0], run_name="__main__")
    finally:
        atexit._run_exitfuncs()


class Forked:
    """What the tests use of `subprocess.Popen`, for a forked `python ARGS`."""

    def __init__(self, args: list[str], cwd: Path, env: dict[str, str] | None, stdout: Path, stderr: Path):
        self.args = args
        self._process = _FORKS.Process(target=_python, args=(args, str(cwd), dict(os.environ if env is None else env),
                                                             str(stdout), str(stderr)), daemon=False)
        self._process.start()

    @property
    def pid(self) -> int:
        return self._process.pid

    @property
    def returncode(self) -> int | None:
        return self._process.exitcode

    def poll(self) -> int | None:
        return self._process.exitcode

    def wait(self, timeout: float | None = None) -> int:
        self._process.join(timeout)
        if self._process.exitcode is None:
            raise subprocess.TimeoutExpired(self.args, timeout or 0)
        return self._process.exitcode

    def send_signal(self, signal: int) -> None:
        os.kill(self.pid, signal)

    def terminate(self) -> None:
        self._process.terminate()

    def kill(self) -> None:
        self._process.kill()


def start(args: list[str], cwd: Path, env: dict[str, str] | None = None, stdout: Path = Path(os.devnull),
          stderr: Path = Path(os.devnull)) -> Forked:
    """`python ARGS` started in `cwd`, its output appended to the given files."""
    return Forked(args, cwd, env, stdout, stderr)


def run(args: list[str], cwd: Path, env: dict[str, str] | None = None, timeout: float = 600) -> \
        subprocess.CompletedProcess:
    """`python ARGS` run to its end, as `subprocess.run(..., capture_output=True, text=True)` would."""
    with tempfile.TemporaryDirectory(prefix="forked-") as folder:
        out, err = Path(folder, "stdout"), Path(folder, "stderr")
        process = start(args, cwd, env, out, err)
        try:
            code = process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            raise
        return subprocess.CompletedProcess(args, code, out.read_text(), err.read_text())

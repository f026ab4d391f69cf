"""The encoder a query loads in a child process: what it answers over its pipe, and what happens when the child
fails. The child's side runs in a thread here (the pipe is the same); test_cli forks a real one."""
import subprocess
import sys
import threading
import time
from multiprocessing import Pipe

import numpy as np
import pytest
from PIL import Image

from conftest import ROOT
from search.encoders import load_encoder
from search.encoders.base import EncoderError
from search.encoders.in_child import EncoderInChild, _answer, _serve, start_encoder


def _serving(model: str):
    ours, theirs = Pipe()
    child = threading.Thread(target=_serve, args=(theirs, model, None, "fp32", "cpu"), daemon=True)
    child.start()
    return ours, child


def test_the_child_encodes_as_the_encoder_itself(tiny_encoder):
    pipe, child = _serving("test-tiny")
    encoder = EncoderInChild(pipe, info=_answer(pipe))
    photos, texts = [Image.new("RGB", (90, 60), colour) for colour in ("red", "navy")], ["a red mug", "红色"]
    assert encoder.info == tiny_encoder.info
    np.testing.assert_allclose(encoder.encode_texts(texts), tiny_encoder.encode_texts(texts), atol=1e-6)
    np.testing.assert_allclose(encoder.encode_images(photos), tiny_encoder.encode_images(photos), atol=1e-6)
    pipe.close()  # the parent hangs up: the child stops
    child.join(timeout=10)
    assert not child.is_alive()


def test_a_model_the_child_cannot_load_is_refused_here_in_its_own_words():
    with pytest.raises(EncoderError) as direct:
        load_encoder("no-such-model", None, "fp32", "cpu")
    pipe, _ = _serving("no-such-model")
    with pytest.raises(EncoderError) as through_child:
        _answer(pipe)
    assert str(through_child.value) == str(direct.value)


def test_a_fault_in_the_child_comes_back_as_it_was_and_the_child_goes_on(tiny_encoder, capsys):
    with pytest.raises(Exception) as direct:
        tiny_encoder.encode_images(["not a picture"])
    pipe, _ = _serving("test-tiny")
    encoder = EncoderInChild(pipe, info=_answer(pipe))
    with pytest.raises(type(direct.value)) as through_child:
        encoder.encode_images(["not a picture"])
    assert str(through_child.value) == str(direct.value)
    assert "Traceback" in capsys.readouterr().err  # a fault, not the user's: its traceback is printed too
    assert encoder.encode_texts(["a mug"]).shape == (1, encoder.info.dim)


def test_a_child_that_ends_without_answering_is_an_error_not_a_hang():
    ours, theirs = Pipe()
    theirs.close()
    with pytest.raises(EncoderError, match="ended before it answered"):
        _answer(ours)


def test_a_process_that_has_torch_loads_the_model_itself(tiny_encoder):
    """A fork of a process that has run torch can hang, so here (torch imported) nothing is forked."""
    encoder = start_encoder("test-tiny", None, "fp32", "cpu")()
    assert not isinstance(encoder, EncoderInChild) and encoder.info == tiny_encoder.info


def test_a_child_whose_parent_is_killed_ends_too():
    """A `query` killed (kill -9) while its model loads leaves no process behind holding the model's memory."""
    code = ("import os, signal, multiprocessing; from search.encoders.in_child import start_encoder\n"
            "start_encoder('test-tiny', None, 'fp32', 'cpu')\n"
            "print(*[child.pid for child in multiprocessing.active_children()], flush=True)\n"
            "os.kill(os.getpid(), signal.SIGKILL)")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    [child] = map(int, result.stdout.split())
    deadline = time.monotonic() + 120
    while _running(child) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not _running(child)


def _running(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"  # a zombie has ended
    except FileNotFoundError:
        return False

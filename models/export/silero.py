"""Silero VAD (task "voice"): the ONNX graph that ``silero-vad`` ships, copied as it is.

The graph (``silero_vad/data/silero_vad.onnx``, the 16 kHz and 8 kHz model) takes

* ``input`` float32 ``[batch, 64 + 512]``: a chunk of 512 samples at 16 kHz (32 ms) with the 64
  samples before it prepended (zeros before the first chunk),
* ``state`` float32 ``[2, batch, 128]``: the recurrent state, zeros at the start of a recording,
* ``sr`` int64 scalar: the sample rate, 16000,

and gives ``output`` ``[batch, 1]``, the probability that the chunk holds speech, and ``stateN``,
the state for the next chunk. This is what the package's own ``OnnxWrapper`` feeds it
(``silero_vad/utils_vad.py``); nothing is exported, so there is no parity to check, only that the
copied graph has these tensors and that a chunk of silence gives a probability and a state.
Build-time only.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import onnxruntime as ort

from models.manifest import ModelEntry, Task, VoicePreprocessing, file_ref
from models.sources import SILERO_VAD

VAD_ID = "silero-vad"
MEMBER = "silero_vad/data/silero_vad.onnx"
INPUTS = ("input", "state", "sr")
OUTPUTS = ("output", "stateN")
STATE_WIDTH = 128
PREPROCESSING = VoicePreprocessing(sample_rate=16000, chunk_samples=512, context_samples=64)


class SileroExportError(RuntimeError):
    """The wheel's graph does not take or give what the engine feeds it."""


def check_graph(model: Path) -> None:
    """The graph's tensor names, and one chunk of silence through it: a probability in [0, 1]
    and a state of the fed shape."""
    session = ort.InferenceSession(str(model), providers=["CPUExecutionProvider"])
    inputs = tuple(tensor.name for tensor in session.get_inputs())
    outputs = tuple(tensor.name for tensor in session.get_outputs())
    if (inputs, outputs) != (INPUTS, OUTPUTS):
        raise SileroExportError(f"{model} has inputs {inputs}, outputs {outputs}")
    width = PREPROCESSING.context_samples + PREPROCESSING.chunk_samples
    state = np.zeros((2, 1, STATE_WIDTH), np.float32)
    feed = {
        "input": np.zeros((1, width), np.float32),
        "state": state,
        "sr": np.array(PREPROCESSING.sample_rate, np.int64),
    }
    probability, next_state = session.run(list(OUTPUTS), feed)
    if probability.shape != (1, 1) or not 0.0 <= float(probability[0, 0]) <= 1.0:
        raise SileroExportError(f"{model} gives {probability!r} for silence")
    if next_state.shape != state.shape:
        raise SileroExportError(f"{model} gives a state of {next_state.shape}, not {state.shape}")


def build_dev(pack_dir: Path) -> list[ModelEntry]:
    """Silero VAD's 16 kHz graph, from the PyPI wheel."""
    folder = pack_dir / VAD_ID
    folder.mkdir(parents=True, exist_ok=True)
    model = folder / "model.onnx"
    shutil.copyfile(SILERO_VAD.file(MEMBER), model)
    check_graph(model)
    return [
        ModelEntry(
            id=VAD_ID,
            task=Task.VAD,
            files={"model": file_ref(pack_dir, model)},
            dims={"state": STATE_WIDTH},
            preprocessing=PREPROCESSING,
            inputs={"model": list(INPUTS)},
            outputs={"model": list(OUTPUTS)},
            licence="MIT",
            source=f"snakers4/silero-vad via PyPI {SILERO_VAD.requirement} ({MEMBER})",
            notes=(
                "speech probability per 512-sample chunk at 16 kHz, with the 64 samples before "
                "it prepended; the recurrent state [2, batch, 128] is carried chunk to chunk"
            ),
        )
    ]

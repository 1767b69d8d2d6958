"""PP-OCR (task "ocr"): the three ONNX graphs that ``rapidocr-onnxruntime`` ships, copied as they
are, and the recogniser's character list taken out of its metadata into a file of the pack.

* ``detector`` (PP-OCRv4 det): ``x`` float32 ``[1, 3, H, W]`` (H, W multiples of 32) ->
  ``sigmoid_0.tmp_0`` ``[1, 1, H, W]``, the chance that each pixel is inside a text line.
* ``direction`` (PP-OCR mobile v2.0 cls): ``x`` ``[n, 3, 48, 192]`` -> ``[n, 2]``, the chance
  that a line reads upright (0) or upside down (180 degrees).
* ``recognizer`` (PP-OCRv4 rec, Chinese and English): ``x`` ``[n, 3, 48, W]`` ->
  ``softmax_11.tmp_0`` ``[n, W / 8, 6625]``: per column, the CTC blank (0), the 6,623
  characters of ``characters.txt`` (1..6623) and a space (6624).

Pixels are blue, green, red (the models were trained on OpenCV's order), ``(x / 255 - 0.5) /
0.5``; this is what RapidOCR's own ``TextDetector``, ``TextClassifier`` and ``TextRecognizer``
feed them. Nothing is exported, so there is no parity to check: the copied graphs are checked
for their tensor names and for the shapes a blank picture gives. Build-time only.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import onnxruntime as ort

from models.manifest import ModelEntry, OcrPreprocessing, Task, file_ref
from models.sources import RAPIDOCR

OCR_ID = "pp-ocrv4"
FOLDER = "rapidocr_onnxruntime/models/"
MEMBERS = {
    "detector": FOLDER + "ch_PP-OCRv4_det_infer.onnx",
    "direction": FOLDER + "ch_ppocr_mobile_v2.0_cls_infer.onnx",
    "recognizer": FOLDER + "ch_PP-OCRv4_rec_infer.onnx",
}
INPUTS = {role: ["x"] for role in MEMBERS}
OUTPUTS = {
    "detector": ["sigmoid_0.tmp_0"],
    "direction": ["save_infer_model/scale_0.tmp_1"],
    "recognizer": ["softmax_11.tmp_0"],
}
# RapidOCR's defaults (config.yaml): the detector's longer side is capped at 2,000 there; the
# engine caps it lower and tiles a larger picture (see engine.inference.ocr).
PREPROCESSING = OcrPreprocessing(
    detect_side=960, direction_height=48, direction_width=192, line_height=48
)


class PpOcrExportError(RuntimeError):
    """The wheel's graphs do not take or give what the engine feeds them."""


def characters(recognizer: Path) -> list[str]:
    """The recogniser's characters, index 1 onward, from its ``character`` metadata."""
    session = ort.InferenceSession(str(recognizer), providers=["CPUExecutionProvider"])
    text = session.get_modelmeta().custom_metadata_map.get("character")
    if not text:
        raise PpOcrExportError(f"{recognizer} has no 'character' metadata")
    return text.split("\n")


def check_graphs(folder: Path, count: int) -> None:
    """Each graph's tensor names, and a blank picture through it: the shapes the engine reads
    (a recogniser's classes are its ``count`` characters, the blank and the space)."""
    blank = {
        "detector": np.zeros((1, 3, 64, 96), np.float32),
        "direction": np.zeros((2, 3, 48, 192), np.float32),
        "recognizer": np.zeros((2, 3, 48, 320), np.float32),
    }
    expected = {"detector": (1, 1, 64, 96), "direction": (2, 2), "recognizer": (2, 40, count + 2)}
    for role in MEMBERS:
        model = folder / f"{role}.onnx"
        session = ort.InferenceSession(str(model), providers=["CPUExecutionProvider"])
        inputs = [tensor.name for tensor in session.get_inputs()]
        outputs = [tensor.name for tensor in session.get_outputs()]
        if (inputs, outputs) != (INPUTS[role], OUTPUTS[role]):
            raise PpOcrExportError(f"{model} has inputs {inputs}, outputs {outputs}")
        (found,) = session.run(OUTPUTS[role], {"x": blank[role]})
        if found.shape != expected[role] or not np.isfinite(found).all():
            raise PpOcrExportError(f"{model} gives {found.shape}, not {expected[role]}")


def build_dev(pack_dir: Path) -> list[ModelEntry]:
    """PP-OCRv4 detection and recognition and the direction classifier, from the PyPI wheel."""
    folder = pack_dir / OCR_ID
    folder.mkdir(parents=True, exist_ok=True)
    for role, member in MEMBERS.items():
        shutil.copyfile(RAPIDOCR.file(member), folder / f"{role}.onnx")
    found = characters(folder / "recognizer.onnx")
    # One character a line, newline-separated only: a line may hold a character Python's
    # ``splitlines`` would also split at, so readers split at "\n" alone.
    (folder / "characters.txt").write_text("\n".join(found), encoding="utf-8", newline="\n")
    check_graphs(folder, len(found))
    roles = [*MEMBERS, "characters"]
    names = {role: f"{role}.onnx" for role in MEMBERS} | {"characters": "characters.txt"}
    return [
        ModelEntry(
            id=OCR_ID,
            task=Task.OCR,
            files={role: file_ref(pack_dir, folder / names[role]) for role in roles},
            dims={"characters": len(found), "classes": len(found) + 2},
            preprocessing=PREPROCESSING,
            inputs=INPUTS,
            outputs=OUTPUTS,
            licence="Apache-2.0",
            source=(
                f"PaddleOCR PP-OCRv4 (det, rec: Chinese and English) and PP-OCR mobile v2.0 cls "
                f"via PyPI {RAPIDOCR.requirement} ({FOLDER}*.onnx)"
            ),
            notes=(
                "DB text detection, 0/180 degree direction, CTC line recognition over "
                "characters.txt (blank first, a space last); pixels BGR, (x / 255 - 0.5) / 0.5"
            ),
        )
    ]

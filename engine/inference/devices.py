"""The devices a person can pick, as plain values: the command line offers them without loading
ONNX Runtime (:mod:`engine.inference.providers` decides what each one means here)."""

from __future__ import annotations

from enum import StrEnum


class Device(StrEnum):
    """What a person can pick in settings or on the command line."""

    AUTO = "auto"
    CPU = "cpu"
    CUDA = "cuda"
    DIRECTML = "directml"
    COREML = "coreml"
    OPENVINO = "openvino"

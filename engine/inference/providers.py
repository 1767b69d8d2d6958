"""The one place that decides where models run: ONNX Runtime execution providers and threads."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass

import onnxruntime as ort

from engine.errors import EngineError, Problem
from engine.inference.devices import Device

log = logging.getLogger(__name__)

# The environment switch (engine.privacy) already stopped telemetry on Linux and macOS; Windows
# builds log through ETW instead, which this API turns off for the whole process.
ort.disable_telemetry_events()


# Each device's providers, best first; the CPU provider always closes the list as the fallback.
_PROVIDERS: dict[Device, tuple[str, ...]] = {
    Device.CPU: (),
    Device.CUDA: ("CUDAExecutionProvider",),
    Device.DIRECTML: ("DmlExecutionProvider",),
    Device.COREML: ("CoreMLExecutionProvider",),
    Device.OPENVINO: ("OpenVINOExecutionProvider",),
}
_AUTO_ORDER = (Device.CUDA, Device.DIRECTML, Device.COREML, Device.OPENVINO)
_CPU = "CPUExecutionProvider"


class DeviceUnavailableError(EngineError):
    """The person asked for a device whose execution provider this installation lacks."""

    def __init__(self, device: Device, available: list[str]) -> None:
        super().__init__(
            Problem.CANNOT_OPEN,
            f"device {device.value!r} was asked for, but ONNX Runtime here offers only "
            f"{', '.join(available)}; choose 'auto' or 'cpu', or install the build with "
            f"{_PROVIDERS[device][0]}",
        )
        self.device = device


@dataclass(frozen=True)
class Placement:
    """Where sessions run, and why: shown by ``trove doctor`` and the settings page."""

    device: Device
    providers: tuple[str, ...]
    threads: int
    reason: str


def default_threads() -> int:
    """Threads for one session: every core this process may use, leaving one for the UI on
    machines with more than four, since the decode pool and the window need a core too."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    cores = cores or 1
    return cores - 1 if cores > 4 else cores


def choose(
    device: Device | str = Device.AUTO,
    threads: int | None = None,
    available: list[str] | None = None,
) -> Placement:
    """Intersect the wanted device with what ONNX Runtime offers.

    ``auto`` takes the first accelerator present and falls back to the CPU with a logged reason;
    an explicit device that is missing raises :class:`DeviceUnavailableError` rather than running
    somewhere the person did not choose.
    """
    device = Device(device)
    offered = list(available if available is not None else ort.get_available_providers())
    count = threads if threads and threads > 0 else default_threads()
    if device is Device.CPU:
        return Placement(device, (_CPU,), count, "CPU chosen")
    if device is not Device.AUTO:
        wanted = [name for name in _PROVIDERS[device] if name in offered]
        if not wanted:
            raise DeviceUnavailableError(device, offered)
        return Placement(device, (*wanted, _CPU), count, f"{device.value} chosen")
    for candidate in _AUTO_ORDER:
        wanted = [name for name in _PROVIDERS[candidate] if name in offered]
        if wanted:
            return Placement(candidate, (*wanted, _CPU), count, f"auto: {wanted[0]} found")
    reason = "auto: no GPU execution provider in this ONNX Runtime, using the CPU"
    log.info(reason)
    return Placement(Device.CPU, (_CPU,), count, reason)


def session_options(placement: Placement) -> ort.SessionOptions:
    options = ort.SessionOptions()
    options.intra_op_num_threads = placement.threads
    options.inter_op_num_threads = 1
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.log_severity_level = 3
    return options

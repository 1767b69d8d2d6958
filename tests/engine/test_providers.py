from __future__ import annotations

import pytest

from engine.inference.providers import Device, DeviceUnavailableError, choose, default_threads

CPU_ONLY = ["CPUExecutionProvider"]
WITH_CUDA = ["TensorrtExecutionProvider", "CUDAExecutionProvider", "CPUExecutionProvider"]


def test_auto_falls_back_to_cpu_with_a_reason() -> None:
    placement = choose(Device.AUTO, available=CPU_ONLY)
    assert placement.device is Device.CPU
    assert placement.providers == ("CPUExecutionProvider",)
    assert "no GPU" in placement.reason


def test_auto_prefers_an_accelerator_and_keeps_cpu_as_fallback() -> None:
    placement = choose("auto", available=WITH_CUDA)
    assert placement.device is Device.CUDA
    assert placement.providers == ("CUDAExecutionProvider", "CPUExecutionProvider")


def test_explicit_missing_device_raises_instead_of_running_elsewhere() -> None:
    with pytest.raises(DeviceUnavailableError, match="directml"):
        choose(Device.DIRECTML, available=WITH_CUDA)


def test_unknown_device_name_is_rejected() -> None:
    with pytest.raises(ValueError):
        choose("tpu", available=CPU_ONLY)


def test_threads_are_capped_and_positive() -> None:
    assert choose(Device.CPU, threads=3, available=CPU_ONLY).threads == 3
    assert choose(Device.CPU, threads=0, available=CPU_ONLY).threads == default_threads() >= 1


def test_this_machine_runs_on_what_onnxruntime_offers() -> None:
    # Real onnxruntime: auto must always resolve to something present here.
    import onnxruntime as ort

    placement = choose(Device.AUTO)
    assert set(placement.providers) <= set(ort.get_available_providers())

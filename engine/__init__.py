"""Trove's engine: everything without a screen. See README.md, "What is here"."""

from engine.privacy import refuse_telemetry

# First thing, before any engine module imports onnxruntime, which latches its choice at import.
refuse_telemetry()

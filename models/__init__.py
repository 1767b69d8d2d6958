"""Model packs: the manifest format, the exporters and the pack builders (build time)."""

import os

# The exporters' parity checks import onnxruntime: keep its telemetry off here as well (see
# engine.privacy for why this must happen before that import).
os.environ["ORT_DISABLE_TELEMETRY"] = "1"

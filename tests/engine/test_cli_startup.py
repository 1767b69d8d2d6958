"""What a `trove` process loads: `--help` none of the engine's libraries, a text search the text
model and the text space's index alone. Each runs in a fresh interpreter, where ``sys.modules``
and the sessions made are the process's own. (Timings: tests/benchmarks/startup.py.)"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from engine.cli import OK, main
from engine.inference.models import ModelSet
from models.manifest import Manifest
from tests.engine.test_withstand import REPO, copy_media

HEAVY = ("onnxruntime", "faiss", "av", "numpy", "PIL", "tokenizers", "sqlite3")

# Runs `trove` in this process after wrapping what loads models and indexes, then prints what
# was loaded. The engine is imported first, as the `trove` script does (the telemetry switch).
_RECORDING = """
import json, sys
import engine
import onnxruntime
from engine.cli import main
from engine.index.flat import FlatIndex
from engine.inference.models import ModelSet

sessions, tasks, indexes = [], [], []

class Recorded(onnxruntime.InferenceSession):
    def __init__(self, path, *args, **kwargs):
        sessions.append(str(path))
        super().__init__(path, *args, **kwargs)

onnxruntime.InferenceSession = Recorded
make, load = ModelSet._make, FlatIndex.load
def made(self, task, factory):  # the factories read labels, tokenizers: record each call
    return make(self, task, lambda *args: tasks.append(task.value) or factory(*args))

ModelSet._make = made
FlatIndex.load = lambda self, path: indexes.append(path.name) or load(self, path)
code = main(sys.argv[1:])
print(json.dumps({"code": code, "sessions": sessions, "tasks": tasks, "indexes": indexes,
                  "av": "av" in sys.modules}))
"""


def run_python(code: str, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code, *args], cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_help_loads_none_of_the_engines_libraries() -> None:
    probe = (
        "import sys\n"
        "from engine.cli import main\n"
        "assert main(['--help']) == 0\n"
        "assert main(['search', '--help']) == 0\n"
        f"print(*[name for name in {HEAVY!r} if name in sys.modules])\n"
    )
    output = run_python(probe).splitlines()
    assert "usage: trove" in output[0]
    assert output[-1] == ""  # no heavy module at all


def test_a_text_search_loads_the_text_models_and_the_text_indexes_alone(
    tmp_path: Path, dev_pack: Manifest
) -> None:
    folder = tmp_path / "media"
    folder.mkdir()
    copy_media(folder, ["Photos/chelsea.png", "Notes/zoo-trip.md", "Sounds/cow.ogg"])
    options = ["--data-dir", str(tmp_path / "data"), "--pack", str(dev_pack.root)]
    assert main([*options, "add", str(folder)]) == OK
    assert main([*options, "index"]) == OK
    # image, sound and text spaces (one manifest each): more than a text search needs
    assert len(list((tmp_path / "data" / "indexes").glob("*.json"))) >= 3

    loaded = json.loads(run_python(_RECORDING, *options, "search", "a cat").splitlines()[-1])
    texts = ModelSet(dev_pack).text_entries()  # one per text space: MiniLM, USE-multilingual
    assert len(texts) == 2
    assert loaded["code"] == OK
    # each text model, or its mapped copy (named by its hash: engine.inference.mapped)
    allowed = {str(dev_pack.path(text, "model")) for text in texts}
    hashes = tuple(text.files["model"].sha256 for text in texts)
    assert len(loaded["sessions"]) == len(texts) and all(
        path in allowed or Path(path).parent.name.startswith(hashes) for path in loaded["sessions"]
    )
    # no model of another task made: no image labels read, no Whisper tokenizer (the text
    # encoders are made apart from the other tasks', so their sessions above stand for them)
    assert loaded["tasks"] == []
    assert sorted(
        text.id for index in loaded["indexes"] for text in texts if index.startswith(text.id)
    ) == sorted(text.id for text in texts)
    assert not loaded["av"]

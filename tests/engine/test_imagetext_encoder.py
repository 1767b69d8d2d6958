"""ImageTextEncoder: unit tests with fake sessions, and the I/O contract end to end on a real
random-weight UForm3 pack that the exporter writes (in the build env) into a tmp folder.

The dev pack has no image-text model, so no test here claims retrieval quality: random weights
prove shapes, names, padding, truncation and normalisation, not meaning.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from numpy.typing import NDArray
from PIL import Image
from tokenizers import Tokenizer, models, pre_tokenizers, processors

from engine.inference.imagetext import ImageTextEncoder
from engine.inference.providers import choose
from engine.inference.session import InferenceError
from engine.media.images import load_image
from models.manifest import (
    FileRef,
    ImagePreprocessing,
    ImageTextPreprocessing,
    ModelEntry,
    PackError,
    Resize,
    Task,
    TextPreprocessing,
    load_manifest,
)
from tests.media import skimage_photos

ROOT = Path(__file__).resolve().parents[2]
DIM = 8
MAX_TOKENS = 6
PAD_ID = 5
WORDS = ["[UNK]", "[CLS]", "[SEP]", "a", "cat", "[PAD]", "dog", "on", "the", "red", "mat"]
PREPROCESSING = ImageTextPreprocessing(
    # uform's own: crop to the side, x / 255 (the default scale), then mean and std
    image=ImagePreprocessing(
        image_size=32, resize=Resize.CROP, mean=(0.5, 0.5, 0.5), std=(0.25, 0.25, 0.25)
    ),
    text=TextPreprocessing(max_tokens=MAX_TOKENS),
)


def _ref(name: str) -> FileRef:
    return FileRef(path=name, sha256="0" * 64, bytes=0)


ENTRY = ModelEntry(
    id="fake-image-text",
    task=Task.IMAGE_TEXT,
    files={"image": _ref("image.onnx"), "text": _ref("text.onnx"), "tokenizer": _ref("t.json")},
    dims={"embedding": DIM},
    preprocessing=PREPROCESSING,
    inputs={"image": ["pixel_values"], "text": ["input_ids", "attention_mask"]},
    outputs={"image": ["embedding"], "text": ["embedding"]},
)


class FakeSession:
    """Records every feed; answers (batch, DIM) rows that encode what it was given."""

    def __init__(self, dim: int = DIM) -> None:
        self.feeds: list[dict[str, NDArray[np.generic]]] = []
        self.dim = dim

    def run(
        self, output_names: Sequence[str], feed: Mapping[str, NDArray[np.generic]]
    ) -> list[NDArray[np.float32]]:
        assert list(output_names) == ["embedding"]
        self.feeds.append(dict(feed))
        if "pixel_values" in feed:
            pixels = feed["pixel_values"]
            # Mean brightness in column 0 and a large constant elsewhere: not unit length.
            rows = np.full((pixels.shape[0], self.dim), 3.0, dtype=np.float32)
            rows[:, 0] = pixels.mean(axis=(1, 2, 3))
            return [rows]
        mask = feed["attention_mask"]
        rows = np.full((mask.shape[0], self.dim), 2.0, dtype=np.float32)
        rows[:, 0] = mask.sum(axis=1)  # the real length of each row
        return [rows]


def word_tokenizer() -> Tokenizer:
    """A real ``tokenizers`` pipeline over a tiny vocabulary: [CLS] words [SEP], pad id 5."""
    tokenizer = Tokenizer(
        models.WordLevel({word: index for index, word in enumerate(WORDS)}, "[UNK]")
    )
    tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
    tokenizer.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", special_tokens=[("[CLS]", 1), ("[SEP]", 2)]
    )
    tokenizer.enable_padding(pad_id=PAD_ID, pad_token="[PAD]")
    return tokenizer


def fake_encoder(batch_size: int = 16) -> tuple[ImageTextEncoder, FakeSession, FakeSession]:
    image, text = FakeSession(), FakeSession()
    return ImageTextEncoder(ENTRY, image, text, word_tokenizer(), batch_size), image, text


def photo(width: int, height: int, shade: int, mode: str = "RGB") -> Image.Image:
    return Image.new(mode, (width, height), shade if mode == "L" else (shade, shade, shade))


# --- fake sessions ----------------------------------------------------------------------------


def test_images_are_batched_preprocessed_and_unit_length() -> None:
    encoder, image_session, _ = fake_encoder(batch_size=2)
    shades = [10, 200, 90, 128, 255]
    images = [photo(40 + 7 * index, 90, shade) for index, shade in enumerate(shades)]
    vectors = encoder.encode_images(images)
    assert vectors.shape == (5, DIM) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-6)
    assert [feed["pixel_values"].shape for feed in image_session.feeds] == [
        (2, 3, 32, 32),
        (2, 3, 32, 32),
        (1, 3, 32, 32),
    ]
    # Rows stay in input order: column 0 carried each image's normalised brightness.
    brightness = [(shade / 255 - 0.5) / 0.25 for shade in shades]
    expected = np.array(brightness) / np.sqrt(np.square(brightness) + 9.0 * (DIM - 1))
    np.testing.assert_allclose(vectors[:, 0], expected, atol=1e-5)


def test_grey_and_alpha_images_enter_as_three_channels() -> None:
    encoder, image_session, _ = fake_encoder()
    encoder.encode_images([photo(50, 30, 100, "L"), Image.new("RGBA", (30, 50), (9, 9, 9, 0))])
    assert image_session.feeds[0]["pixel_values"].shape == (2, 3, 32, 32)


def test_texts_are_padded_with_the_tokenizers_pad_id_and_cut_to_max_tokens() -> None:
    encoder, _, text_session = fake_encoder()
    texts = ["cat", "the red cat on the mat dog dog", "a dog"]
    vectors = encoder.encode_texts(texts)
    assert vectors.shape == (3, DIM)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-6)
    (feed,) = text_session.feeds
    ids, mask = feed["input_ids"], feed["attention_mask"]
    assert ids.dtype == np.int64 and mask.dtype == np.int64
    # Sorted by length; the long text is cut to MAX_TOKENS ids as uform's processor cuts it
    # (its [SEP] falls past the cut), the others padded with the tokenizer's pad id.
    assert ids.tolist() == [
        [1, 4, 2, PAD_ID, PAD_ID, PAD_ID],
        [1, 3, 6, 2, PAD_ID, PAD_ID],
        [1, 8, 9, 4, 7, 8],
    ]
    assert mask.tolist() == [[1, 1, 1, 0, 0, 0], [1, 1, 1, 1, 0, 0], [1, 1, 1, 1, 1, 1]]
    # ...and each vector returns to its own text's row: real lengths 3, 6, 4.
    lengths = vectors[:, 0] / vectors[:, 1] * 2.0
    np.testing.assert_allclose(lengths, [3.0, 6.0, 4.0], rtol=1e-5)


def test_text_batches_hold_at_most_batch_size_rows() -> None:
    encoder, _, text_session = fake_encoder(batch_size=2)
    encoder.encode_texts(["a", "a cat", "a red cat", "the red cat on"])
    assert [feed["input_ids"].shape for feed in text_session.feeds] == [(2, 4), (2, 6)]


def test_nothing_to_encode_runs_nothing() -> None:
    encoder, image_session, text_session = fake_encoder()
    assert encoder.encode_images([]).shape == (0, DIM)
    assert encoder.encode_texts([]).shape == (0, DIM)
    assert image_session.feeds == [] and text_session.feeds == []


def test_bad_arguments_are_refused() -> None:
    encoder, _, _ = fake_encoder()
    with pytest.raises(TypeError):
        encoder.encode_texts("a cat")
    with pytest.raises(TypeError):
        encoder.encode_images(photo(10, 10, 0))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="text 1 is empty"):
        encoder.encode_texts(["a cat", "  "])
    with pytest.raises(ValueError):
        fake_encoder(batch_size=0)


def test_a_wrong_output_shape_is_an_inference_error() -> None:
    encoder = ImageTextEncoder(ENTRY, FakeSession(dim=DIM + 1), FakeSession(), word_tokenizer())
    with pytest.raises(InferenceError, match="image tower returned shape"):
        encoder.encode_images([photo(32, 32, 1)])


def test_entries_it_cannot_run_are_refused_with_reasons() -> None:
    wrong = replace(
        ENTRY,
        task=Task.IMAGE,
        files={"image": _ref("image.onnx"), "text": _ref("text.onnx")},
        preprocessing=PREPROCESSING.image,
        outputs={"image": ["features", "embeddings"], "text": ["embedding"]},
    )
    with pytest.raises(PackError) as raised:
        ImageTextEncoder(wrong, FakeSession(), FakeSession(), word_tokenizer())
    message = str(raised.value)
    assert "task is 'image', not 'image-text'" in message
    assert "image outputs ['features', 'embeddings'] have no 'embedding'" in message
    assert "no 'tokenizer' file" in message
    unpadded = word_tokenizer()
    unpadded.no_padding()
    with pytest.raises(PackError, match="padding"):
        ImageTextEncoder(ENTRY, FakeSession(), FakeSession(), unpadded)


# --- the real exporter's random-weight pack ----------------------------------------------------


def _build_python() -> Path:
    configured = os.environ.get("TROVE_BUILD_PYTHON")
    return Path(configured) if configured else ROOT / ".venv-build" / "bin" / "python"


@pytest.fixture(scope="module")
def random_pack(tmp_path_factory: pytest.TempPathFactory) -> ImageTextEncoder:
    """english-small widths (shallower, for time) with random weights, exported by
    models/export/uform.py in the build env; this env has no torch and only reads the pack."""
    python = _build_python()
    if not python.is_file():
        pytest.fail(f"the build env is missing at {python}: run ./dev setup")
    folder = tmp_path_factory.mktemp("uform") / "pack"
    command = [str(python), "-m", "models.export.uform", "random", "english-small"]
    command += ["--out", str(folder), "--image-layers", "2", "--text-layers", "1"]
    subprocess.run(command, cwd=ROOT, check=True, timeout=600, capture_output=True)
    manifest = load_manifest(folder)
    (entry,) = manifest.by_task(Task.IMAGE_TEXT)
    return ImageTextEncoder.from_pack(manifest, entry, choose("cpu", threads=1))


@pytest.fixture(scope="module")
def photos() -> list[Image.Image]:
    files = skimage_photos()
    return [load_image(files[name]) for name in ("chelsea", "astronaut", "coffee", "rocket")]


def test_real_pack_entry_is_the_fixed_contract(random_pack: ImageTextEncoder) -> None:
    entry = random_pack.entry
    assert entry.id == "uform3-image-text-english-small" and random_pack.dim == 256
    assert random_pack.preprocessing.image.image_size == 224 and random_pack.max_tokens == 64
    assert entry.licence == "Apache-2.0"
    assert entry.source == "unum-cloud/uform3-image-text-english-small"


def test_real_pack_images_give_unit_vectors_independent_of_batch(
    random_pack: ImageTextEncoder, photos: list[Image.Image]
) -> None:
    vectors = random_pack.encode_images(photos)
    assert vectors.shape == (4, 256) and np.isfinite(vectors).all()
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    alone = random_pack.encode_images(photos[2:3])
    np.testing.assert_allclose(alone[0], vectors[2], atol=1e-5)
    similarity = vectors @ vectors.T
    assert similarity[~np.eye(4, dtype=bool)].max() < 0.999, "different photos, same vector"


def test_real_pack_texts_padding_and_truncation_leave_vectors_unchanged(
    random_pack: ImageTextEncoder,
) -> None:
    long = " ".join(["a cat sitting on a red mat"] * 20)  # ~140 tokens, past the 64 positions
    texts = ["a cat", "a photo of a dog on a beach at sunset", long, long + " and a dog"]
    vectors = random_pack.encode_texts(texts)
    assert vectors.shape == (4, 256) and np.isfinite(vectors).all()
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    # Padding beside a 64-token row changes nothing; words past the cut change nothing.
    np.testing.assert_allclose(random_pack.encode_texts(["a cat"])[0], vectors[0], atol=1e-5)
    np.testing.assert_allclose(vectors[2], vectors[3], atol=1e-6)
    assert float(vectors[0] @ vectors[1]) < 0.999

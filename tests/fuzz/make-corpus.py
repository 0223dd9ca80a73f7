#!/usr/bin/env python3
"""Makes the seed corpora of the file-reader fuzz targets (tests/fuzz/corpus/
NAME/) from the tiny models and a few results of the CLI: small files of the
real shapes, so that fuzzing starts inside the readers, not at their first
check.  Usage: make-corpus.py CLI  (run from the source root; the output is
committed, so it runs only when a reader's format changes)."""

import ctypes
import io
import json
import os
import pickle
import struct
import subprocess
import sys
import tempfile
import types
import zipfile
import zlib

CLI = sys.argv[1]
TINY = "tests/golden/tiny"
OUT = "tests/fuzz/corpus"
tmp = tempfile.mkdtemp()
env = dict(os.environ, HF_HUB_OFFLINE="1")


def put(target, name, data):
    os.makedirs(os.path.join(OUT, target), exist_ok=True)
    with open(os.path.join(OUT, target, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


def read(path):
    with open(path, "rb") as f:
        return f.read()


# config: the first byte picks the file (see fuzz-config.c).
for i, f in enumerate(["config.json", "modules.json", "1_Pooling/config.json", "sentence_bert_config.json"]):
    put("config", "bert-%d" % i, bytes([i]) + read(os.path.join(TINY, "bert", f)))
put("config", "dense-4", b"\x04" + json.dumps({"in_features": 32, "out_features": 16, "bias": True,
                                               "activation_function": "torch.nn.modules.activation.Tanh"}).encode())
put("config", "xlmr-0", b"\x00" + read(os.path.join(TINY, "xlmr", "config.json")))
put("config", "mpnet-0", b"\x00" + read(os.path.join(TINY, "mpnet", "config.json")))
put("config", "clip-5", b"\x05" + read(os.path.join(TINY, "clip", "config.json")))


# tokenizer.json: each model type with its vocabulary cut to a few entries.
def small_tokenizer(model, keep):
    doc = json.loads(read(os.path.join(TINY, model, "tokenizer.json")))
    m = doc["model"]
    if isinstance(m.get("vocab"), dict):
        items = sorted(m["vocab"].items(), key=lambda kv: kv[1])[:keep]
        m["vocab"] = {k: i for i, (k, _) in enumerate(items)}
    elif isinstance(m.get("vocab"), list):
        m["vocab"] = m["vocab"][:keep]
    if "merges" in m:
        m["merges"] = m["merges"][:20]
    doc["added_tokens"] = [t for t in doc.get("added_tokens", []) if t["id"] < keep]
    norm = doc.get("normalizer") or {}
    if norm.get("type") == "Sequence":   # the charsmap is 300 KB: fuzz-tokenizer covers it
        norm["normalizers"] = [n for n in norm["normalizers"] if n.get("type") != "Precompiled"]
    return json.dumps(doc)


for model, keep in [("bert", 120), ("xlmr", 60), ("clip", 300)]:
    put("tokenizer-json", model, small_tokenizer(model, keep))


# results and sessions from the CLI on the tiny models.
def explain(name, *args):
    path = os.path.join(tmp, name + ".json")
    subprocess.run([CLI, "explain", "--json", path] + list(args), check=True, env=env,
                   stdout=subprocess.DEVNULL)
    return read(path)


bert = os.path.join(TINY, "bert")
clip = os.path.join(TINY, "clip")
results = {
    "bilrp": explain("bilrp", "--method", "bilrp", "--model", bert, "a cat", "a dog"),
    "ij": explain("ij", "--method", "ij", "--steps", "2", "--perturbation", "--model", bert, "a cat sat", "dogs"),
    "align": explain("align", "--method", "align", "--model", bert, "a cat", "the dog"),
    "distance": explain("distance", "--method", "distance", "--masks", "8", "--model", bert, "a cat", "a dog"),
}
photo = os.path.join(tmp, "tiny.png")


def png(width, height):
    def chunk(kind, data):
        c = struct.pack(">I", len(data)) + kind + data
        return c + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    rows = b"".join(b"\0" + bytes(v for x in range(width) for v in (x * 8, y * 8, 128))
                    for y in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


with open(photo, "wb") as f:
    f.write(png(24, 16))
results["image-ij"] = explain("image-ij", "--method", "ij", "--steps", "2", "--model", clip, "--image", photo, "a photo")
results["image-distance"] = explain("image-distance", "--method", "distance", "--masks", "8", "--model", clip,
                                    "--image", photo, "a photo")
for name, data in results.items():
    put("result", name, data)

session = {
    "schema": "likeness.session/1",
    "inputs": {"mode": "text-pair", "text_a": "a cat", "text_b": "a dog", "image": None, "caption": None},
    "model": bert, "method": "bilrp", "params": {"ij-steps": 4},
    "results": [json.loads(results["bilrp"]), json.loads(results["align"])],
}
put("session", "text", json.dumps(session))
session["inputs"] = {"mode": "image-caption", "text_a": None, "text_b": None, "image": photo, "caption": "a photo"}
session["results"] = [json.loads(results["image-ij"])]
put("session", "image", json.dumps(session))

# images: PNG written here; JPEG, GIF-free formats through gdk-pixbuf's own savers.
put("image", "rgb.png", png(24, 16))
pb = ctypes.CDLL("libgdk_pixbuf-2.0.so.0")
pb.gdk_pixbuf_new_from_file_at_scale.restype = ctypes.c_void_p
pb.gdk_pixbuf_new_from_file_at_scale.argtypes = [ctypes.c_char_p, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_void_p]
pb.gdk_pixbuf_save.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_void_p,
                               ctypes.c_char_p, ctypes.c_char_p, ctypes.c_void_p]
small = pb.gdk_pixbuf_new_from_file_at_scale(b"data/examples/coffee.jpg", 48, 32, 1, None)
for kind, opts in [("jpeg", (b"quality", b"70")), ("bmp", (None, None)), ("ico", (None, None)), ("tiff", (None, None))]:
    path = os.path.join(tmp, "small." + kind).encode()
    pb.gdk_pixbuf_save(small, path, kind.encode(), None, opts[0], opts[1], None)
    if os.path.exists(path):
        put("image", "coffee." + kind, read(path))
# GIF has no saver: a 2 × 2 one by hand.
put("image", "tiny.gif", bytes.fromhex(
    "47494638396102000200800000ffffff00000021f90401000000002c00000000020002000002028451003b"))


# pickle: torch's zip format with a two-tensor state dict, written without torch.
def torch_zip():
    torch = types.ModuleType("torch")
    utils = types.ModuleType("torch._utils")

    class FloatStorage:
        pass

    def _rebuild_tensor_v2(*args):
        pass

    FloatStorage.__module__ = "torch"
    FloatStorage.__qualname__ = "FloatStorage"
    _rebuild_tensor_v2.__module__ = "torch._utils"
    _rebuild_tensor_v2.__qualname__ = "_rebuild_tensor_v2"
    torch.FloatStorage = FloatStorage
    torch._utils = utils
    utils._rebuild_tensor_v2 = _rebuild_tensor_v2
    sys.modules["torch"] = torch
    sys.modules["torch._utils"] = utils

    class Storage:
        def __init__(self, key, n):
            self.key, self.n = key, n

    class Tensor:
        def __init__(self, storage, shape):
            self.storage, self.shape = storage, shape

        def __reduce__(self):
            stride = tuple(int(__import__("math").prod(self.shape[i + 1:])) for i in range(len(self.shape)))
            import collections
            return (_rebuild_tensor_v2, (self.storage, 0, self.shape, stride, False, collections.OrderedDict()))

    class P(pickle.Pickler):
        def persistent_id(self, obj):
            if isinstance(obj, Storage):
                return ("storage", FloatStorage, obj.key, "cpu", obj.n)
            return None

    import collections
    state = dict([("weight", Tensor(Storage("0", 6), (2, 3))),
                                     ("bias", Tensor(Storage("1", 2), (2,)))])
    buf = io.BytesIO()
    P(buf, protocol=2).dump(state)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as z:
        z.writestr("archive/data.pkl", buf.getvalue())
        z.writestr("archive/data/0", struct.pack("<6f", 1, 2, 3, 4, 5, 6))
        z.writestr("archive/data/1", struct.pack("<2f", 0.5, -0.5))
        z.writestr("archive/version", "3\n")
    del sys.modules["torch"], sys.modules["torch._utils"]
    return out.getvalue()


put("pickle", "state-dict.bin", torch_zip())
put("pickle", "protocol4.bin", pickle.dumps({"weight": [1.0]}, protocol=4))

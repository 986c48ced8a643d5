#!/usr/bin/env python3
"""Quantizes a trained zoo model to int8 and exports it for the bench.

  /usr/bin/python3 tools/models/export.py NAME [--weights build/models/NAME.pt] [--out fixtures/models]

Writes fixtures/models/NAME/:
  model.aidi      the model in the binary format of firmware/models/FORMAT.md
  manifest.json   layers, shapes, MACs, weight bytes, peak SRAM, float and int8 test accuracy
  expected.json   int8 predictions and logits for the fixture subset (fixtures/fashion-mnist/test-1000.bin)

Quantization (TFLite-compatible): BatchNorm folded into the convolutions;
weights int8 symmetric per output channel; activations int8 asymmetric per
tensor from min/max over 2,000 training images; int32 biases; requantization
by multiplier + shift (intmath.py). The int8 results come from an exact
integer simulation of the kernels (float64 sums of integers are exact here).
"""
import argparse
import json
import struct
import sys
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parent))
import fmnist  # noqa: E402
import intmath  # noqa: E402
import zoo  # noqa: E402

OP_CONV2D, OP_DEPTHWISE, OP_FULLY_CONNECTED, OP_AVG_POOL, OP_MAX_POOL, OP_ADD = 1, 2, 3, 4, 5, 6
OP_NAMES = {OP_CONV2D: "conv2d", OP_DEPTHWISE: "depthwise_conv2d", OP_FULLY_CONNECTED: "fully_connected",
            OP_AVG_POOL: "avg_pool", OP_MAX_POOL: "max_pool", OP_ADD: "add"}
FORMAT_VERSION = 1
ADD_LEFT_SHIFT = 20
SUBSET_SIZE = 1000
CALIBRATION_IMAGES = 2000


class Graph:
    """Layers over tensors (NHWC shapes), with float functions for calibration."""

    def __init__(self):
        self.tensors = []  # dicts: shape (h, w, c), scale, zp, min, max
        self.layers = []

    def tensor(self, h, w, c):
        self.tensors.append({"shape": (h, w, c), "min": 0.0, "max": 0.0})
        return len(self.tensors) - 1

    def conv(self, unit: zoo.ConvBnAct, src):
        conv, bn = unit.conv, unit.bn
        std = torch.sqrt(bn.running_var + bn.eps)
        w = (conv.weight * (bn.weight / std).view(-1, 1, 1, 1)).detach().double()
        b = (bn.bias - bn.running_mean * bn.weight / std).detach().double()
        h, wd, c = self.tensors[src]["shape"]
        k, s, p = conv.kernel_size[0], conv.stride[0], conv.padding[0]
        oh, ow = (h + 2 * p - k) // s + 1, (wd + 2 * p - k) // s + 1
        depthwise = conv.groups > 1
        out = self.tensor(oh, ow, conv.out_channels)
        self.layers.append({"op": OP_DEPTHWISE if depthwise else OP_CONV2D, "inputs": [src], "output": out,
                            "k": k, "stride": s, "pad": p, "groups": conv.groups, "w": w, "b": b, "relu6": unit.act})
        return out

    def add(self, a, b):
        out = self.tensor(*self.tensors[a]["shape"])
        self.layers.append({"op": OP_ADD, "inputs": [a, b], "output": out})
        return out

    def avg_pool(self, src):
        c = self.tensors[src]["shape"][2]
        out = self.tensor(1, 1, c)
        self.layers.append({"op": OP_AVG_POOL, "inputs": [src], "output": out,
                            "k": self.tensors[src]["shape"][0], "stride": 1, "pad": 0})
        return out

    def fully_connected(self, linear, src):
        out = self.tensor(1, 1, linear.out_features)
        self.layers.append({"op": OP_FULLY_CONNECTED, "inputs": [src], "output": out,
                            "w": linear.weight.detach().double(), "b": linear.bias.detach().double()})
        return out


def build_graph(model: zoo.Net) -> Graph:
    g = Graph()
    t = g.tensor(28, 28, 1)
    for block in model.features:
        if isinstance(block, zoo.ConvBnAct):
            t = g.conv(block, t)
        else:
            x = t
            for unit in block.body:
                t = g.conv(unit, t)
            if block.residual:
                t = g.add(x, t)
    t = g.avg_pool(t)
    g.fully_connected(model.classifier, t)
    return g


def run_float(g: Graph, images: np.ndarray, record=False):
    """Float forward pass through the graph (NCHW float64); returns logits, records ranges."""
    values = {0: torch.from_numpy(images.astype(np.float64) / 255.0).unsqueeze(1)}
    for layer in g.layers:
        x = values[layer["inputs"][0]]
        if layer["op"] in (OP_CONV2D, OP_DEPTHWISE):
            y = F.conv2d(x, layer["w"], layer["b"], layer["stride"], layer["pad"], groups=layer["groups"])
            if layer["relu6"]:
                y = torch.clamp(y, 0.0, 6.0)
        elif layer["op"] == OP_ADD:
            y = x + values[layer["inputs"][1]]
        elif layer["op"] == OP_AVG_POOL:
            y = x.mean(dim=(2, 3), keepdim=True)
        else:
            y = F.linear(x.flatten(1), layer["w"], layer["b"]).view(x.shape[0], -1, 1, 1)
        values[layer["output"]] = y
    if record:
        for tid, v in values.items():
            t = g.tensors[tid]
            t["min"] = min(t["min"], float(v.min()))
            t["max"] = max(t["max"], float(v.max()))
    return values[g.layers[-1]["output"]].flatten(1)


def quantize(g: Graph):
    for tid, t in enumerate(g.tensors):
        if tid == 0:
            t["scale"], t["zp"] = 1.0 / 255.0, -128  # int8 pixel = uint8 pixel - 128, exactly
            continue
        lo, hi = min(t["min"], 0.0), max(t["max"], 0.0)
        scale = (hi - lo) / 255.0 if hi > lo else 1.0
        t["scale"] = scale
        t["zp"] = int(np.clip(round(-128 - lo / scale), -128, 127))
    for layer in g.layers:
        tin, tout = g.tensors[layer["inputs"][0]], g.tensors[layer["output"]]
        layer["act_min"], layer["act_max"] = -128, 127
        if layer["op"] in (OP_CONV2D, OP_DEPTHWISE, OP_FULLY_CONNECTED):
            w = layer["w"]
            out_channels = w.shape[0]
            wmax = w.abs().reshape(out_channels, -1).max(dim=1).values.numpy()
            wscale = np.where(wmax > 0, wmax / 127.0, 1.0)
            wq = np.clip(np.round(w.numpy() / wscale.reshape([-1] + [1] * (w.dim() - 1))), -127, 127).astype(np.int8)
            layer["wq"] = wq
            layer["bias_q"] = np.round(layer["b"].numpy() / (tin["scale"] * wscale)).astype(np.int64)
            assert np.all(np.abs(layer["bias_q"]) < 2**31), "bias out of int32 range"
            mults = [intmath.quantize_multiplier(tin["scale"] * ws / tout["scale"]) for ws in wscale]
            layer["mult"] = [m for m, _ in mults]
            layer["shift"] = [s for _, s in mults]
            if layer.get("relu6"):
                layer["act_min"] = max(-128, tout["zp"])
                layer["act_max"] = min(127, tout["zp"] + int(round(6.0 / tout["scale"])))
        elif layer["op"] == OP_ADD:
            t2 = g.tensors[layer["inputs"][1]]
            twice_max = 2.0 * max(tin["scale"], t2["scale"])
            m1 = intmath.quantize_multiplier(tin["scale"] / twice_max)
            m2 = intmath.quantize_multiplier(t2["scale"] / twice_max)
            mo = intmath.quantize_multiplier(twice_max / ((1 << ADD_LEFT_SHIFT) * tout["scale"]))
            layer["mult"] = [m1[0], m2[0], mo[0]]
            layer["shift"] = [m1[1], m2[1], mo[1]]
        elif layer["op"] == OP_AVG_POOL:
            # Average pooling keeps its input's quantization (as TFLite requires).
            tout["scale"], tout["zp"] = tin["scale"], tin["zp"]


def run_int8(g: Graph, images: np.ndarray) -> np.ndarray:
    """Exact integer simulation of the kernels; returns int8 logits [N, 10]."""
    q = {0: images.astype(np.int64) - 128}  # NHW (C = 1)
    q[0] = q[0][..., None]
    for layer in g.layers:
        op = layer["op"]
        tin, tout = g.tensors[layer["inputs"][0]], g.tensors[layer["output"]]
        x = q[layer["inputs"][0]]
        if op in (OP_CONV2D, OP_DEPTHWISE):
            xi = torch.from_numpy((x - tin["zp"]).astype(np.float64)).permute(0, 3, 1, 2)
            wi = torch.from_numpy(layer["wq"].astype(np.float64))
            acc = F.conv2d(xi, wi, None, layer["stride"], layer["pad"], groups=layer["groups"])
            acc = np.rint(acc.permute(0, 2, 3, 1).numpy()).astype(np.int64) + layer["bias_q"]
            y = intmath.requantize_per_channel(acc, layer["mult"], layer["shift"]) + tout["zp"]
        elif op == OP_FULLY_CONNECTED:
            xi = (x.reshape(x.shape[0], -1) - tin["zp"]).astype(np.float64)
            acc = np.rint(xi @ layer["wq"].astype(np.float64).T).astype(np.int64) + layer["bias_q"]
            y = (intmath.requantize_per_channel(acc, layer["mult"], layer["shift"]) + tout["zp"]).reshape(
                x.shape[0], 1, 1, -1)
        elif op == OP_ADD:
            t2 = g.tensors[layer["inputs"][1]]
            x2 = q[layer["inputs"][1]]
            a = intmath.requantize((x - tin["zp"]) << ADD_LEFT_SHIFT, layer["mult"][0], layer["shift"][0])
            b = intmath.requantize((x2 - t2["zp"]) << ADD_LEFT_SHIFT, layer["mult"][1], layer["shift"][1])
            y = intmath.requantize(a + b, layer["mult"][2], layer["shift"][2]) + tout["zp"]
        else:  # average pool over the whole input
            count = x.shape[1] * x.shape[2]
            total = x.sum(axis=(1, 2), keepdims=True)
            half = count // 2
            y = np.where(total > 0, (total + half) // count, -((-(total - half)) // count))
        q[layer["output"]] = np.clip(y, layer["act_min"], layer["act_max"])
    return q[g.layers[-1]["output"]].reshape(images.shape[0], -1).astype(np.int8)


def weight_layout(layer) -> np.ndarray:
    """Kernel layouts: conv OHWI, depthwise HWC, fully connected OI."""
    w = layer["wq"]
    if layer["op"] == OP_CONV2D:
        return np.ascontiguousarray(w.transpose(0, 2, 3, 1))
    if layer["op"] == OP_DEPTHWISE:
        return np.ascontiguousarray(w[:, 0].transpose(1, 2, 0))
    return np.ascontiguousarray(w)


def macs_of(g: Graph, layer) -> int:
    oh, ow, oc = g.tensors[layer["output"]]["shape"]
    if layer["op"] == OP_CONV2D:
        return oh * ow * oc * layer["k"] ** 2 * g.tensors[layer["inputs"][0]]["shape"][2]
    if layer["op"] == OP_DEPTHWISE:
        return oh * ow * oc * layer["k"] ** 2
    if layer["op"] == OP_FULLY_CONNECTED:
        return oc * g.tensors[layer["inputs"][0]]["shape"][2]
    return 0


def tensor_bytes(t) -> int:
    h, w, c = t["shape"]
    return h * w * c


def peak_sram(g: Graph):
    """Largest sum of live activation tensors over the layers (a tensor lives from its producer to its last user)."""
    last_use = {}
    for i, layer in enumerate(g.layers):
        for t in layer["inputs"]:
            last_use[t] = i
    producer = {0: -1}
    for i, layer in enumerate(g.layers):
        producer[layer["output"]] = i
    best = (0, 0, [])
    for i in range(len(g.layers)):
        live = [t for t in producer if producer[t] <= i <= max(last_use.get(t, producer[t]), producer[t])]
        total = sum(tensor_bytes(g.tensors[t]) for t in live)
        if total > best[0]:
            best = (total, i, live)
    return best


def align4(buf: bytearray):
    while len(buf) % 4:
        buf.append(0)


def write_model(g: Graph, name: str) -> bytes:
    tensors = bytearray()
    for tid, t in enumerate(g.tensors):
        h, w, c = t["shape"]
        flags = (1 if tid == 0 else 0) | (2 if tid == g.layers[-1]["output"] else 0)
        tensors += struct.pack("<HHHHfi", h, w, c, flags, t["scale"], t["zp"])
    header_size, layer_size = 64, 64
    tensors_offset = header_size
    layers_offset = tensors_offset + len(tensors)
    data = bytearray()
    data_offset = layers_offset + layer_size * len(g.layers)
    layers = bytearray()
    for layer in g.layers:
        op = layer["op"]
        inputs = layer["inputs"] + [0xFFFF] * (2 - len(layer["inputs"]))
        k, s, p = layer.get("k", 1), layer.get("stride", 1), layer.get("pad", 0)
        weights_offset = weights_size = bias_offset = mult_offset = shift_offset = 0
        if "wq" in layer:
            wl = weight_layout(layer).tobytes()
            weights_offset, weights_size = data_offset + len(data), len(wl)
            data += wl
            align4(data)
            bias_offset = data_offset + len(data)
            data += layer["bias_q"].astype("<i4").tobytes()
        if "mult" in layer:
            mult_offset = data_offset + len(data)
            data += np.array(layer["mult"], dtype="<i4").tobytes()
            shift_offset = data_offset + len(data)
            data += np.array(layer["shift"], dtype="<i4").tobytes()
        extra = [ADD_LEFT_SHIFT if op == OP_ADD else 0, 0, 0, 0, 0]
        layers += struct.pack("<BBBBBBBBHHHHiiIIIIIiiiii", op, 0, k, k, s, s, p, p, inputs[0], inputs[1],
                              layer["output"], 0, layer["act_min"], layer["act_max"], weights_offset, weights_size,
                              bias_offset, mult_offset, shift_offset, *extra)
    body = bytes(tensors + layers + data)
    file_size = header_size + len(body)
    crc = crc32c(body)
    name_bytes = name.encode()[:23].ljust(24, b"\0")
    header = struct.pack("<8sHHHHII24sIIII", b"AIDIMDL\0", FORMAT_VERSION, len(g.layers), len(g.tensors), 0,
                         file_size, crc, name_bytes, tensors_offset, layers_offset, data_offset, 0)
    assert len(header) == header_size and len(layers) == layer_size * len(g.layers)
    return header + body


def crc32c(data: bytes) -> int:
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    crc = 0xFFFFFFFF
    for b in data:
        crc = table[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def write_subset(path: Path, images: np.ndarray, labels: np.ndarray):
    """fixtures/fashion-mnist/test-1000.bin: 'AIDIFMN1', u32 count, u32 rows, u32 cols, labels, images."""
    path.parent.mkdir(parents=True, exist_ok=True)
    n = images.shape[0]
    path.write_bytes(struct.pack("<8sIII", b"AIDIFMN1", n, 28, 28) + labels.astype(np.uint8).tobytes()
                     + images.astype(np.uint8).tobytes())


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("name", choices=sorted(zoo.MODELS))
    parser.add_argument("--weights", type=Path)
    parser.add_argument("--out", type=Path, default=Path("fixtures/models"))
    parser.add_argument("--subset", type=Path, default=Path("fixtures/fashion-mnist/test-1000.bin"))
    args = parser.parse_args()
    weights = args.weights or Path("build/models") / f"{args.name}.pt"

    model = zoo.MODELS[args.name]()
    model.load_state_dict(torch.load(weights))
    model.eval()
    train_x, _ = fmnist.load("train")
    test_x, test_y = fmnist.load("test")

    g = build_graph(model)
    with torch.no_grad():
        run_float(g, train_x[:CALIBRATION_IMAGES], record=True)
        float_logits = torch.cat([run_float(g, test_x[i:i + 1000]) for i in range(0, len(test_x), 1000)])
        reference = torch.cat([model(torch.from_numpy(test_x[i:i + 1000].astype(np.float32) / 255).unsqueeze(1))
                               for i in range(0, len(test_x), 1000)])
    float_acc = float((float_logits.argmax(1).numpy() == test_y).mean())
    assert float_acc == float((reference.argmax(1).numpy() == test_y).mean()), "folded graph differs from the model"
    quantize(g)
    int_logits = np.concatenate([run_int8(g, test_x[i:i + 500]) for i in range(0, len(test_x), 500)])
    predictions = int_logits.argmax(axis=1)  # first maximum, as the kernels do
    int8_acc = float((predictions == test_y).mean())

    out_dir = args.out / args.name
    out_dir.mkdir(parents=True, exist_ok=True)
    blob = write_model(g, args.name)
    (out_dir / "model.aidi").write_bytes(blob)
    write_subset(args.subset, test_x[:SUBSET_SIZE], test_y[:SUBSET_SIZE])
    (out_dir / "expected.json").write_text(json.dumps({
        "subset": str(args.subset), "samples": SUBSET_SIZE,
        "predictions": predictions[:SUBSET_SIZE].tolist(),
        "logits_hex": [row.astype(np.int8).tobytes().hex() for row in int_logits[:SUBSET_SIZE]],
        "subset_int8_accuracy": float((predictions[:SUBSET_SIZE] == test_y[:SUBSET_SIZE]).mean()),
    }) + "\n")

    peak, peak_layer, live = peak_sram(g)
    layers = []
    for i, layer in enumerate(g.layers):
        wbytes = layer["wq"].size + 4 * layer["wq"].shape[0] if "wq" in layer else 0
        qbytes = 8 * len(layer["mult"]) if "mult" in layer else 0
        layers.append({"index": i, "op": OP_NAMES[layer["op"]],
                       "input": [g.tensors[t]["shape"] for t in layer["inputs"]],
                       "output": g.tensors[layer["output"]]["shape"], "kernel": layer.get("k"),
                       "stride": layer.get("stride"), "macs": macs_of(g, layer), "weight_bytes": wbytes + qbytes})
    train_info = json.loads((weights.parent / f"{args.name}.train.json").read_text()) \
        if (weights.parent / f"{args.name}.train.json").exists() else {}
    manifest = {
        "name": args.name, "format_version": FORMAT_VERSION, "model_bytes": len(blob),
        "params": int(sum(p.numel() for n, p in model.named_parameters() if "bn" not in n)),
        "macs": sum(l["macs"] for l in layers),
        "weight_bytes": sum(l["weight_bytes"] for l in layers),
        "peak_sram_bytes": peak, "peak_sram_layer": peak_layer,
        "peak_sram_tensors": [{"shape": g.tensors[t]["shape"], "bytes": tensor_bytes(g.tensors[t])} for t in live],
        "float_test_accuracy": float_acc, "int8_test_accuracy": int8_acc, "test_samples": int(len(test_y)),
        "training": {k: train_info.get(k) for k in ("epochs", "seed", "torch")},
        "quantization": "int8, per-channel symmetric weights, per-tensor asymmetric activations (min/max of "
                        f"{CALIBRATION_IMAGES} training images), TFLite requantization",
        "layers": layers,
    }
    (out_dir / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    print(f"{args.name}: float {float_acc:.4f}, int8 {int8_acc:.4f}, {manifest['macs']} MACs, "
          f"{manifest['weight_bytes']} weight bytes, peak SRAM {peak} B at layer {peak_layer}, model {len(blob)} B")


if __name__ == "__main__":
    main()

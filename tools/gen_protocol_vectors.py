#!/usr/bin/env python3
"""Generates fixtures/protocol/ from protocol/SPEC.md, independently of the C++ library.

This is a second implementation of the wire format (COBS, CRC-32C, payload
layouts) written from the spec, so the C++ encoder, the decoder and the
firmware are checked against bytes they did not produce.

  /usr/bin/python3 tools/gen_protocol_vectors.py fixtures/protocol

Writes vectors.json (valid frames with their decoded fields), corrupt.json
(malformed streams with the decoder counters they must produce) and
golden_messages.inc (the same messages as C++17 initializers for the firmware),
capture.bin (all of them in one stream) and fuzz-seeds/ (one file each, the
fuzzer's seed corpus).
"""
import json
import struct
import sys
from pathlib import Path

VERSION = 1


def crc32c(data: bytes) -> int:
    crc = 0xFFFFFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ 0x82F63B78 if crc & 1 else crc >> 1
    return crc ^ 0xFFFFFFFF


assert crc32c(b"123456789") == 0xE3069283


def cobs_encode(data: bytes) -> bytes:
    out = bytearray()
    block = bytearray()
    for b in data:
        if b == 0:
            out.append(len(block) + 1)
            out += block
            block = bytearray()
        else:
            block.append(b)
            if len(block) == 254:
                out.append(255)
                out += block
                block = bytearray()
    out.append(len(block) + 1)
    out += block
    return bytes(out)


def raw_frame(type_, boot_id, seq, payload, version=VERSION, crc=None):
    body = struct.pack("<BBHH", version, type_, boot_id, seq) + payload
    c = crc32c(body) if crc is None else crc
    return body + struct.pack("<I", c)


def wire(type_, boot_id, seq, payload, **kw):
    return cobs_encode(raw_frame(type_, boot_id, seq, payload, **kw)) + b"\x00"


def str8(s: str) -> bytes:
    b = s.encode()
    return bytes([len(b)]) + b


# Each message: (name, type, C++ struct, fields in struct order, payload bytes).
# Fields are listed as (json key, value, C++ initializer).
def hello():
    h = bytes([0xE3, 0x63, 0xAF, 0x77, 0x71, 0xAE, 0xFE, 0x22])
    payload = struct.pack("<BBH", 0, 1, 0) + h + struct.pack("<III", 262144, 524288, 25000000)
    payload += str8("mps2-an386") + str8("inas-tiny") + str8("aidi")
    fields = {"firmware_version": "0.1.0", "build_hash": h.hex(), "sram_bytes": 262144, "nvm_bytes": 524288,
              "clock_hz": 25000000, "target": "mps2-an386", "model": "inas-tiny", "policy": "aidi"}
    cpp = ('Hello{0, 1, 0, {' + ", ".join(f"0x{b:02X}" for b in h) + '}, 262144u, 524288u, 25000000u, '
           '10, "mps2-an386", 9, "inas-tiny", 4, "aidi"}')
    return "hello", 0x01, payload, fields, cpp


def boot():
    payload = struct.pack("<IBBIHII", 1234, 2, 1, 7, 3, 41, 5120)
    fields = {"boot_count": 1234, "reset_cause": "brown_out", "progress_valid": True, "inference": 7, "layer": 3,
              "job": 41, "restore_cycles": 5120}
    return "boot", 0x02, payload, fields, "Boot{1234u, ResetCause{2}, 1, 7u, 3, 41u, 5120u}"


def checkpoint():
    payload = struct.pack("<IHIIIII", 7, 3, 41, 96, 812345, 20480, 1536)
    fields = {"inference": 7, "layer": 3, "job": 41, "jobs_in_layer": 96, "cycles_since_boot": 812345,
              "job_cycles": 20480, "nvm_bytes": 1536}
    return "checkpoint", 0x03, payload, fields, "Checkpoint{7u, 3, 41u, 96u, 812345u, 20480u, 1536u}"


def result():
    logits = [-128, -90, 12, 127, 0, -1, 33, -7, 64, 5]
    lb = struct.pack("<10b", *logits)
    payload = struct.pack("<IIBBQIQQQQI", 7, 1001, 3, 10, 48_000_000_123, 212, 1_500_000, 900_000, 250_000, 786432,
                          crc32c(lb)) + lb
    fields = {"inference": 7, "sample": 1001, "predicted": 3, "active_cycles": 48000000123, "power_cycles": 212,
              "reexecuted_cycles": 1500000, "checkpoint_cycles": 900000, "boot_cycles": 250000, "nvm_bytes": 786432,
              "logits_crc": crc32c(lb), "logits": logits}
    cpp = ("InferenceResult{7u, 1001u, 3, 10, 48000000123ull, 212u, 1500000ull, 900000ull, 250000ull, 786432ull, "
           f"0x{crc32c(lb):08X}u, {{" + ", ".join(str(v) for v in logits) + "}}")
    return "result", 0x04, payload, fields, cpp


def power_fail():
    payload = struct.pack("<IIHIB", 99999, 7, 4, 2, 0)
    fields = {"cycles_since_boot": 99999, "inference": 7, "layer": 4, "job": 2, "cause": "budget_expired"}
    return "power_fail", 0x05, payload, fields, "PowerFail{99999u, 7u, 4, 2u, PowerFailCause{0}}"


def log():
    text = "layer 3: tile 8x16 fits 20480 cycles"
    payload = bytes([1]) + text.encode()
    fields = {"level": "info", "text": text}
    return "log", 0x06, payload, fields, f'Log{{LogLevel{{1}}, {len(text)}, "{text}"}}'


def log_max():
    # The longest payload (240 bytes): the COBS encoding needs a 0xFF block.
    text = "x" * 239
    payload = bytes([3]) + text.encode()
    fields = {"level": "error", "text": text}
    return "log_max", 0x06, payload, fields, f'Log{{LogLevel{{3}}, 239, "{text}"}}'


def error():
    text = "nvm: progress record corrupt"
    payload = struct.pack("<HI", 17, 0xDEADBEEF) + text.encode()
    fields = {"code": 17, "detail": 0xDEADBEEF, "text": text}
    return "error", 0x07, payload, fields, f'DeviceError{{17, 0xDEADBEEFu, {len(text)}, "{text}"}}'


def pong():
    payload = struct.pack("<II", 0xA5A50001, 4096)
    return "pong", 0x08, payload, {"nonce": 0xA5A50001, "cycles_since_boot": 4096}, "Pong{0xA5A50001u, 4096u}"


def run():
    payload = struct.pack("<IIBBH", 0, 100, 3, 0, 2)
    fields = {"first_sample": 0, "sample_count": 100, "policy": "aidi", "flags": 0, "repetitions": 2}
    return "run", 0x40, payload, fields, "RunCommand{0u, 100u, Policy{3}, 0, 2}"


def set_plan():
    entries = [(4, 16), (2, 32), (1, 64)]
    payload = struct.pack("<BB", 0, 3) + b"".join(struct.pack("<HH", r, c) for r, c in entries)
    fields = {"first_layer": 0, "entries": [{"tile_rows": r, "tile_channels": c} for r, c in entries]}
    return "set_plan", 0x41, payload, fields, "SetPlan{0, 3, {{4, 16}, {2, 32}, {1, 64}}}"


def ping():
    return "ping", 0x42, struct.pack("<I", 0), {"nonce": 0}, "Ping{0u}"


def stop():
    return "stop", 0x43, b"", {}, "Stop{}"


MESSAGES = [hello, boot, checkpoint, result, power_fail, log, log_max, error, pong, run, set_plan, ping, stop]
BOOT_ID = 0x0102


def main(out_dir: Path):
    out_dir.mkdir(parents=True, exist_ok=True)
    vectors = []
    inc = ["// Generated by tools/gen_protocol_vectors.py from protocol/SPEC.md. Do not edit.",
           "// AIDI_VECTOR(name, boot_id, seq, message)"]
    for seq, make in enumerate(MESSAGES):
        name, type_, payload, fields, cpp = make()
        w = wire(type_, BOOT_ID, seq, payload)
        vectors.append({"name": name, "type": type_, "boot_id": BOOT_ID, "seq": seq, "fields": fields,
                        "payload_hex": payload.hex(), "wire_hex": w.hex()})
        inc.append(f"AIDI_VECTOR({name}, 0x{BOOT_ID:04X}, {seq}, ({cpp}))")

    f = {v["name"]: bytes.fromhex(v["wire_hex"]) for v in vectors}
    ping0 = f["ping"]
    pong_payload = struct.pack("<II", 1, 2)

    def pong_frame(boot_id, seq):
        return wire(0x08, boot_id, seq, pong_payload)

    good_raw = raw_frame(0x08, 5, 0, pong_payload)
    flipped = bytearray(cobs_encode(good_raw))
    flipped[7] ^= 0x10 if flipped[7] not in (0x10,) else 0x20
    corrupt = [
        {"name": "boot_resync_zeros", "why": "lone 0x00 bytes at boot are delimiters of empty frames, not errors",
         "wire_hex": (b"\x00\x00" + ping0).hex(), "expect": {"frames": 1, "empty_frames": 2}},
        {"name": "truncated", "why": "a device dies mid-frame; the next boot's 0x00 ends the fragment",
         "wire_hex": (f["checkpoint"][:12] + b"\x00" + ping0).hex(),
         "expect": {"frames": 1, "dropped": 1}},
        {"name": "flipped_bit", "why": "one bit flipped on the wire",
         "wire_hex": (bytes(flipped) + b"\x00" + ping0).hex(), "expect": {"frames": 1, "bad_crc": 1}},
        {"name": "wrong_crc", "why": "valid COBS, CRC off by one",
         "wire_hex": (cobs_encode(raw_frame(0x08, 5, 0, pong_payload, crc=crc32c(good_raw[:-4]) ^ 1)) + b"\x00"
                      + ping0).hex(), "expect": {"frames": 1, "bad_crc": 1}},
        {"name": "oversize", "why": "300 bytes without a delimiter: dropped, memory stays bounded",
         "wire_hex": (bytes([0x41] * 300) + b"\x00" + ping0).hex(), "expect": {"frames": 1, "oversize": 1}},
        {"name": "garbage_between_frames", "why": "noise between two good frames is dropped, both frames survive",
         "wire_hex": (pong_frame(9, 0) + bytes([0x03, 0x77, 0x99, 0x12, 0xFE, 0x80]) + b"\x00" + pong_frame(9, 1)).hex(),
         "expect": {"frames": 2, "dropped": 1}},
        {"name": "bad_cobs", "why": "a code byte promising more bytes than arrive before the delimiter",
         "wire_hex": (bytes([0x09, 0x01, 0x02]) + b"\x00" + ping0).hex(), "expect": {"frames": 1, "bad_cobs": 1}},
        {"name": "too_short", "why": "decodes to 5 bytes, shorter than header + CRC",
         "wire_hex": (cobs_encode(bytes([1, 8, 5, 0, 0])) + b"\x00" + ping0).hex(),
         "expect": {"frames": 1, "too_short": 1}},
        {"name": "bad_version", "why": "version 2 with a valid CRC is not trusted",
         "wire_hex": (wire(0x08, 5, 0, pong_payload, version=2) + ping0).hex(),
         "expect": {"frames": 1, "bad_version": 1}},
        {"name": "unknown_type", "why": "a verified frame of a type this host does not know: counted, still passed on",
         "wire_hex": wire(0x30, 5, 0, b"\x01\x02").hex(), "expect": {"frames": 1, "unknown_type": 1}},
        {"name": "sequence_gap", "why": "seq 0, 1, 5 in one boot: one gap, three frames missed",
         "wire_hex": (pong_frame(5, 0) + pong_frame(5, 1) + pong_frame(5, 5)).hex(),
         "expect": {"frames": 3, "seq_gaps": 1, "frames_missed": 3}},
        {"name": "boot_change", "why": "a new boot_id restarts seq at 0: a boot change, not a gap",
         "wire_hex": (pong_frame(5, 0) + pong_frame(5, 1) + b"\x00" + pong_frame(6, 0)).hex(),
         "expect": {"frames": 3, "boot_changes": 1, "empty_frames": 1}},
    ]
    (out_dir / "vectors.json").write_text(json.dumps({"generator": "tools/gen_protocol_vectors.py",
                                                      "protocol_version": VERSION, "vectors": vectors}, indent=1) + "\n")
    (out_dir / "corrupt.json").write_text(json.dumps({"generator": "tools/gen_protocol_vectors.py",
                                                      "cases": corrupt}, indent=1) + "\n")
    (out_dir / "golden_messages.inc").write_text("\n".join(inc) + "\n")
    capture = b"".join(bytes.fromhex(v["wire_hex"]) for v in vectors)
    capture += b"".join(bytes.fromhex(c["wire_hex"]) for c in corrupt)
    (out_dir / "capture.bin").write_bytes(capture)
    seeds = out_dir / "fuzz-seeds"
    seeds.mkdir(exist_ok=True)
    for old in seeds.glob("*.bin"):
        old.unlink()
    for item in vectors + corrupt:
        (seeds / (item["name"] + ".bin")).write_bytes(bytes.fromhex(item["wire_hex"]))


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "fixtures/protocol"))

"""The Python client against a real `aidi serve` (ctest: api_client_test).

Runs with unittest or pytest: AIDI_CLI names the aidi program.
"""
import os
import socket
import subprocess
import sys
import tempfile
import time
import unittest

import json

import jsonschema

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
import aidi_client  # noqa: E402
from aidi_client import AidiError  # noqa: E402

# Every message either side sends is checked against the published schemas
# (docs/api-schema/): requests, replies, progress and events.
SCHEMAS = os.path.join(os.path.dirname(__file__), "..", "..", "..", "docs", "api-schema")


def _validator(name):
    with open(os.path.join(SCHEMAS, name + ".json"), encoding="utf-8") as f:
        schema = json.load(f)
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


VALIDATORS = {name: _validator(name) for name in ("request", "reply", "progress", "event")}
CHECKED = {"request": 0, "reply": 0, "progress": 0, "event": 0}


def check(kind, message):
    errors = sorted(VALIDATORS[kind].iter_errors(message), key=str)
    if errors:
        raise AssertionError(f"{kind} against docs/api-schema/{kind}.json: {errors[0].message}: {message}")
    CHECKED[kind] += 1


class AidiClient(aidi_client.AidiClient):
    """The client, with every message checked against the schemas."""

    def request(self, op, **fields):
        check("request", {"id": 0, "op": op, **fields})
        return super().request(op, **fields)

    def _read(self, timeout_s=None):
        message = super()._read(timeout_s)
        check(message["type"] if "type" in message else "reply", message)
        return message

AIDI = os.environ.get("AIDI_CLI", "aidi")
CAMPAIGN = """[campaign]
name = "api"
samples = 1
waveforms = true
[matrix]
models = ["inas-tiny"]
policies = ["loop", "aidi"]
[[condition]]
name = "steady"
constant_w = 0.002
capacitor_uf = 100
"""


class Server:
    """`aidi serve` on a free loopback port with its own database."""

    def __init__(self, *args, env=None):
        self.dir = tempfile.TemporaryDirectory(prefix="aidi-api-")
        self.process = subprocess.Popen(
            [AIDI, "serve", "--db", os.path.join(self.dir.name, "runs.sqlite"), *args],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
        self.banner = self.process.stdout.readline()
        self.port = int(self.banner.split(" on ")[1].split(",")[0].rsplit(":", 1)[1]) if " on " in self.banner else 0

    def close(self):
        self.process.terminate()
        self.process.wait(timeout=30)
        self.process.stdout.close()
        self.dir.cleanup()


class ClientTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Server()
        assert cls.server.port, cls.server.banner

    @classmethod
    def tearDownClass(cls):
        cls.server.close()

    def client(self, **kw):
        return AidiClient("127.0.0.1", self.server.port, **kw)

    def test_hello_names_the_api_and_refuses_another_major(self):
        with self.client() as c:
            self.assertEqual(c.info["api"], "1.0")
            self.assertEqual(c.bench_info()["target"], "mps2-an386")
        with self.assertRaises(AidiError) as refused:
            self.client(api="2.0")
        self.assertEqual(refused.exception.code, "version")
        self.assertIn("speaks API 1.0", refused.exception.message)

    def test_one_holder_of_the_lock_which_dies_with_its_connection(self):
        a = self.client()
        with self.client() as b:
            a.lock()
            with self.assertRaises(AidiError) as locked:
                b.lock()
            self.assertEqual(locked.exception.code, "locked")
            with self.assertRaises(AidiError):
                b.start_campaign(toml=CAMPAIGN)
            self.assertEqual(b.bench_info()["locked_by"], a.info["connection"])
            a.close()
            deadline = time.monotonic() + 10  # the server sees the connection end
            while b.bench_info()["locked_by"] is not None and time.monotonic() < deadline:
                time.sleep(0.01)
            b.lock()
            b.unlock()

    def test_a_campaign_runs_streams_to_every_watcher_and_is_queried(self):
        with self.client() as driver, self.client() as watcher:
            watcher.subscribe()
            driver.lock()
            driver.subscribe()
            campaign = driver.start_campaign(toml=CAMPAIGN)
            seen = [m for m in driver.messages(until=lambda m: m.get("event") == "campaign_ended", timeout_s=300)]
            self.assertEqual(seen[-1]["event"], "campaign_ended")
            self.assertEqual(seen[-1]["done"], 2)
            kinds = {m.get("event") for m in seen}
            self.assertTrue({"run_started", "sample_done", "run_ended"} <= kinds, kinds)
            watched = [m for m in watcher.messages(until=lambda m: m.get("event") == "campaign_ended", timeout_s=60)]
            self.assertEqual([m["event"] for m in watched if m["type"] == "progress"],
                             [m["event"] for m in seen if m["type"] == "progress"])
            runs = driver.runs(campaign)
            self.assertEqual([r["state"] for r in runs], ["done", "done"])
            self.assertEqual({r["policy"] for r in runs}, {"loop", "aidi"})
            self.assertEqual(driver.wait_campaign(10)["campaign"], campaign)
            # Statistics between two times, computed on the server.
            whole = driver.stats(runs[0]["id"])
            self.assertGreater(whole["energy_j"], 0)
            self.assertAlmostEqual(whole["average_w"] * whole["duration_s"], whole["energy_j"], places=12)
            half = driver.stats(runs[0]["id"], t0=whole["t0"], t1=(whole["t0"] + whole["t1"]) / 2)
            self.assertLessEqual(half["energy_j"], whole["energy_j"])
            wave = driver.waveform(runs[0]["id"], channel="voltage", max_samples=1_000_000)
            self.assertTrue(0 < len(wave["t"]) and len(wave["t"]) == len(wave["v"]))
            self.assertTrue(all(whole["t0"] <= t <= whole["t1"] for t in wave["t"]))
            self.assertTrue(all(0 <= v <= 3.7 for v in wave["v"]), "a capacitor's volts")
            with self.assertRaises(AidiError) as many:
                driver.waveform(runs[0]["id"], channel="voltage", max_samples=len(wave["t"]) - 1)
            self.assertIn("more than the", many.exception.message)
            for bad in ({"run": 999999}, {"run": runs[0]["id"], "t0": 5, "t1": 1}):
                with self.assertRaises(AidiError) as refused:
                    driver.stats(**bad)
                self.assertEqual(refused.exception.code, "invalid")
            with self.assertRaises(AidiError):
                driver.waveform(runs[0]["id"], channel="no-such-channel")
            self.assertIn(campaign, [c["id"] for c in driver.campaigns()])
            driver.unlock()

    def test_many_connections_coming_and_going_leave_the_server_answering(self):
        # Connections that ended are reaped when the next one arrives (once
        # a deadlock: the reaper held the lock their last step needed).
        for k in range(200):
            s = socket.create_connection(("127.0.0.1", self.server.port), timeout=10)
            if k % 2:
                s.sendall(b'{"id": 1, "op": "hello", "api": "1.0"}\n')
                s.makefile("r").readline()
            s.close()
        with self.client() as c:
            self.assertEqual(c.bench_info()["bench"], "virtual")

    def test_bad_requests_get_clear_errors_and_the_connection_goes_on(self):
        s = socket.create_connection(("127.0.0.1", self.server.port), timeout=10)
        f = s.makefile("r")
        s.sendall(b'{"id": 1, "op": "runs"}\nnot json\n{"id": 2, "op": "hello", "api": "1.0"}\n{"id": 3, "op": "fly"}\n')
        replies = [json.loads(f.readline()) for _ in range(4)]
        for reply in replies:
            check("reply", reply)
        self.assertEqual(replies[0]["error"]["code"], "hello")
        self.assertEqual(replies[1]["error"]["code"], "parse")
        self.assertTrue(replies[2]["ok"])
        self.assertEqual(replies[3]["error"]["code"], "op")
        self.assertEqual(replies[3]["id"], 3)
        # A field of the wrong type (found by the fuzzer: it ended the server).
        s.sendall(b'{"id": 4, "op": "campaign.wait", "timeout_s": [1]}\n{"id": 5, "op": "subscribe", "on": "yes"}\n'
                  b'{"id": 6, "op": "bench.info"}\n')
        more = [json.loads(f.readline()) for _ in range(3)]
        for reply in more:
            check("reply", reply)
        self.assertEqual(more[0]["error"]["code"], "invalid")
        self.assertEqual(more[1]["error"]["code"], "invalid")
        self.assertTrue(more[2]["ok"], "the server goes on")
        s.close()

    def test_a_bad_campaign_is_refused_with_the_reason(self):
        with self.client() as c:
            c.lock()
            with self.assertRaises(AidiError) as bad:
                c.start_campaign(toml=CAMPAIGN.replace("inas-tiny", "no-such-model"))
            self.assertIn("unknown model", bad.exception.message)
            c.unlock()


class SchemaTest(unittest.TestCase):
    def test_the_schemas_refuse_what_the_protocol_does_not_allow(self):
        for kind, bad in (("request", {"id": 1}), ("request", {"op": "fly"}),
                          ("reply", {"id": 1, "ok": False}), ("reply", {"ok": True, "error": {"code": "op", "message": "x"}}),
                          ("progress", {"type": "progress", "event": "sample_done", "campaign": 1, "run": 1, "model": "m",
                                        "policy": "p", "condition": "c", "sample": 0, "runs_ended": 0, "runs_total": 1}),
                          ("event", {"type": "event", "event": "dropped"})):
            with self.assertRaises(AssertionError, msg=f"{kind}: {bad}"):
                check(kind, bad)


class TokenTest(unittest.TestCase):
    def test_beyond_loopback_a_token_is_required(self):
        refused = subprocess.run([AIDI, "serve", "--listen", "0.0.0.0:0", "--db", "/nonexistent/x.sqlite"],
                                 capture_output=True, text=True, timeout=30)
        self.assertEqual(refused.returncode, 1)
        self.assertIn("needs a token", refused.stderr)
        server = Server("--listen", "127.0.0.1:0", env={**os.environ, "AIDI_SERVE_TOKEN": "s3cret"})
        try:
            with self.assertRaises(AidiError) as no:
                AidiClient("127.0.0.1", server.port)
            self.assertEqual(no.exception.code, "token")
            with AidiClient("127.0.0.1", server.port, token="s3cret") as ok:
                self.assertEqual(ok.bench_info()["bench"], "virtual")
        finally:
            server.close()


if __name__ == "__main__":
    unittest.main()

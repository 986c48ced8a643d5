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
import re
import sqlite3
import threading

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


VALIDATORS = {name: _validator(name) for name in ("request", "reply", "progress", "event", "waveform")}
CHECKED = {name: 0 for name in VALIDATORS}


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


class ServedTest(unittest.TestCase):
    """Tests against one `aidi serve` of the class's own."""

    @classmethod
    def setUpClass(cls):
        cls.server = Server()
        assert cls.server.port, cls.server.banner

    @classmethod
    def tearDownClass(cls):
        cls.server.close()


class ClientTest(ServedTest):
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


class SingleRunTest(ServedTest):
    """A single run under a harvest set beforehand, its waveform streamed
    live, then exported."""

    def test_a_run_streams_its_waveform_as_recorded_and_exports(self):
        with AidiClient("127.0.0.1", self.server.port) as c, AidiClient("127.0.0.1", self.server.port) as watcher:
            with self.assertRaises(AidiError) as unlocked:
                c.set_harvest(constant_w=0.002, capacitor_uf=100)
            self.assertEqual(unlocked.exception.code, "locked")
            c.lock()
            with self.assertRaises(AidiError) as none:
                c.start_run("inas-tiny", "aidi")
            self.assertIn("harvester.set", none.exception.message)
            for bad, says in (({"constant_w": -1, "capacitor_uf": 100}, "constant_w"),
                              ({"constant_w": 0.002, "capacitor_uf": 0}, "capacitor_uf"),
                              ({"constant_w": 0.002, "capacitor_uf": 100, "no_such_key": 1}, "no_such_key"),
                              ({"trace": "/nonexistent.csv", "capacitor_uf": 100}, "nonexistent")):
                with self.assertRaises(AidiError) as refused:
                    c.set_harvest(**bad)
                self.assertEqual(refused.exception.code, "invalid")
                self.assertIn(says, refused.exception.message)
            self.assertIsNone(c.bench_info()["harvest"], "a refused harvest is not kept")
            c.set_harvest(constant_w=0.002, capacitor_uf=100)
            self.assertEqual(c.bench_info()["harvest"]["capacitor_uf"], 100)
            with self.assertRaises(AidiError) as model:
                c.start_run("no-such-model", "aidi")
            self.assertIn("unknown model", model.exception.message)
            self.assertEqual(watcher.subscribe(waveforms=True), {"subscribed": True, "waveforms": True})
            c.subscribe()  # progress only: no waveform reaches it
            started = c.start_run("inas-tiny", "aidi", samples=2)
            streamed = {}  # (sample, source) -> {channel: values}
            for m in watcher.messages(until=lambda m: m.get("event") == "campaign_ended"):
                if m["type"] != "waveform":
                    continue
                self.assertEqual((m["campaign"], m["run"]), (started["campaign"], started["run"]))
                got = streamed.setdefault((m["sample"], m["source"]), {"next": 0})
                self.assertEqual(m["first"], got["next"], "sample ids follow on without a gap")
                got["next"] += m["count"]
                for name, values in m["channels"].items():
                    self.assertEqual(len(values), m["count"])
                    got.setdefault(name, []).extend(values)
            self.assertEqual(sorted(streamed), [(0, "model"), (1, "model")])
            self.assertTrue(all(m["type"] != "waveform" for m in c.messages(
                until=lambda m: m.get("event") == "campaign_ended", timeout_s=60)))
            result = c.wait_campaign(60)
            self.assertNotIn("error", result)
            # The stream is what was recorded.
            for sample in (0, 1):
                recorded = c.waveform(started["run"], sample=sample, channel="power", max_samples=1_000_000)
                live = streamed[(sample, "model")]["power"]
                self.assertEqual(len(recorded["v"]), len(live))
                self.assertAlmostEqual(sum(recorded["v"]), sum(live), delta=1e-6 * abs(sum(live)) + 1e-9)
            [run] = c.runs(started["campaign"])
            self.assertEqual((run["id"], run["state"], run["finished"]), (started["run"], "done", 2))
            self.assertEqual(run["latency_s"]["count"], 2)

            html = c.export(run=started["run"])
            self.assertEqual(html["campaign"], started["campaign"])
            self.assertIn("<html", html["content"])
            report = json.loads(c.export(campaign=started["campaign"], format="json")["content"])
            self.assertTrue(report)
            rows = c.export(campaign=started["campaign"], table="inferences", format="csv")["content"].splitlines()
            self.assertEqual(len(rows), 3, "a header and the two inferences")
            with tempfile.TemporaryDirectory() as scratch:
                path = c.save_export(os.path.join(scratch, "run.sqlite"), run=started["run"], format="sqlite")
                with sqlite3.connect(path) as db:
                    self.assertEqual(db.execute("SELECT id FROM campaigns").fetchall(), [(started["campaign"],)])
                    self.assertEqual(db.execute("SELECT count(*) FROM inferences").fetchone(), (2,))
                    self.assertGreater(db.execute("SELECT count(*) FROM waveform_blocks").fetchone()[0], 0)
                listed = subprocess.run([AIDI, "list", "--db", path], capture_output=True, text=True, timeout=60)
                self.assertEqual(listed.returncode, 0, listed.stderr)
                self.assertIn("done", listed.stdout)
            for bad in ({"campaign": 99999}, {"run": 99999}, {"campaign": started["campaign"], "table": "no_such_table",
                                                                "format": "csv"},
                        {"campaign": started["campaign"], "table": "inferences", "format": "html"}):
                with self.assertRaises(AidiError) as refused:
                    c.export(**bad)
                self.assertEqual(refused.exception.code, "invalid")
            with self.assertRaises(AidiError) as virtual:
                c.set_supply(volts=3.3)
            self.assertEqual(virtual.exception.code, "unsupported")
            c.unlock()


class RealBenchTest(unittest.TestCase):
    """aidi serve --bench FILE: the supply of a bench file (a simulated
    DP832 on loopback), by hand and within the file's limits."""

    @classmethod
    def setUpClass(cls):
        cls.supply = subprocess.Popen([AIDI, "virtual-psu", "--port", "0"], stdout=subprocess.PIPE,
                                      stderr=subprocess.STDOUT, text=True)
        banner = cls.supply.stdout.readline()
        found = re.search(r"127\.0\.0\.1:(\d+)", banner)
        assert found, banner
        cls.supply_port = int(found.group(1))
        threading.Thread(target=lambda: [None for _ in cls.supply.stdout], daemon=True).start()
        cls.dir = tempfile.TemporaryDirectory(prefix="aidi-api-bench-")
        cls.bench = os.path.join(cls.dir.name, "desk.toml")
        with open(cls.bench, "w", encoding="utf-8") as f:
            f.write(f"""[bench]
name = "api-desk"
target = "nucleo-f412zg"
[limits]
max_voltage = 3.6
max_current = 0.15
[supply]
resource = "TCPIP0::127.0.0.1::{cls.supply_port}::SOCKET"
channel = 1
""")
        cls.server = Server("--bench", cls.bench)
        assert cls.server.port, cls.server.banner

    @classmethod
    def tearDownClass(cls):
        cls.server.close()
        cls.supply.terminate()
        cls.supply.wait(timeout=30)
        cls.dir.cleanup()

    def scpi(self, query):
        with socket.create_connection(("127.0.0.1", self.supply_port), timeout=10) as s:
            s.sendall((query + "\n").encode())
            return s.makefile().readline().strip()

    def test_the_supply_is_set_within_the_bench_limits_and_measured(self):
        with AidiClient("127.0.0.1", self.server.port) as c:
            info = c.bench_info()
            self.assertEqual((info["bench"], info["target"]), ("api-desk", "nucleo-f412zg"))
            self.assertEqual(info["limits"], {"max_volts": 3.6, "max_amps": 0.15})
            self.assertIn(str(self.supply_port), info["supply"])
            probe = c.bench_probe()
            self.assertIn("DP832", probe["supply"]["model"])
            with self.assertRaises(AidiError) as unlocked:
                c.set_supply(volts=3.3)
            self.assertEqual(unlocked.exception.code, "locked")
            c.lock()
            set_ = c.set_supply(volts=3.3, amps=0.1, output=True)
            self.assertAlmostEqual(set_["volts"], 3.3, delta=0.05)
            self.assertEqual(self.scpi(":OUTP? CH1"), "ON")
            for bad in ({"volts": 5.0}, {"amps": 0.2}, {"volts": -1.0}, {"volts": 1e308}):
                with self.assertRaises(AidiError) as refused:
                    # Past the schema (which refuses -1 already): the server must refuse too.
                    aidi_client.AidiClient.request(c, "supply.set", **bad)
                self.assertEqual(refused.exception.code, "limit", bad)
                self.assertIn("desk.toml", refused.exception.message)
            self.assertAlmostEqual(c.measure_supply()["volts"], 3.3, delta=0.05, msg="a refused setting changes nothing")
            with self.assertRaises(AidiError) as nothing:
                c.set_supply()
            self.assertEqual(nothing.exception.code, "invalid")
            c.set_supply(output=False)
            self.assertEqual(self.scpi(":OUTP? CH1"), "OFF")
            # JSON has no NaN: a client that sends one gets a parse error, nothing is set.
            raw = socket.create_connection(("127.0.0.1", self.server.port), timeout=10)
            reader = raw.makefile("r")
            raw.sendall(b'{"id": 1, "op": "hello", "api": "1.0"}\n{"id": 2, "op": "supply.set", "volts": NaN}\n')
            replies = [json.loads(reader.readline()) for _ in range(2)]
            self.assertEqual(replies[1]["error"]["code"], "parse")
            raw.close()
            c.unlock()

    def test_a_virtual_server_refuses_a_campaign_for_a_real_bench(self):
        server = Server()
        try:
            with AidiClient("127.0.0.1", server.port) as c:
                c.lock()
                with self.assertRaises(AidiError) as refused:
                    c.start_campaign(toml=CAMPAIGN.replace('samples = 1', f'samples = 1\nbench = "{self.bench}"'))
                self.assertIn("virtual", refused.exception.message)
        finally:
            server.close()


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

"""A Python client of `aidi serve` (docs/api.md): standard library only, Python 3.11.

    from aidi_client import AidiClient
    with AidiClient("127.0.0.1", port) as bench:
        bench.lock()
        bench.subscribe()
        campaign = bench.start_campaign(toml=text)
        for message in bench.messages(until=lambda m: m.get("event") == "campaign_ended"):
            print(message)
        print(bench.runs(campaign))

Every request waits for its own reply (matched by id); messages the server
sends on its own (progress, events) are kept in order for messages().
"""
from __future__ import annotations

import base64
import collections
import itertools
import json
import socket
import time
from typing import Any, Callable, Iterator, Optional

API = "1.0"


class AidiError(Exception):
    """The server refused a request: `code` says which kind of refusal."""

    def __init__(self, code: str, message: str):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class AidiClient:
    def __init__(self, host: str = "127.0.0.1", port: int = 0, token: Optional[str] = None,
                 timeout_s: float = 30.0, api: str = API):
        self._socket = socket.create_connection((host, port), timeout=timeout_s)
        self._socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._reader = self._socket.makefile("r", encoding="utf-8", newline="\n")
        self._ids = itertools.count(1)
        self._pending: collections.deque[dict] = collections.deque()
        self.timeout_s = timeout_s
        hello: dict[str, Any] = {"api": api}
        if token is not None:
            hello["token"] = token
        try:
            self.info = self.request("hello", **hello)
        except Exception:
            self.close()
            raise

    def __enter__(self) -> "AidiClient":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        try:
            self._reader.close()
        finally:
            self._socket.close()

    # The protocol: one JSON object per line each way.
    def request(self, op: str, **fields: Any) -> Any:
        """Sends one request and returns its result; AidiError when refused."""
        request_id = next(self._ids)
        line = json.dumps({"id": request_id, "op": op, **fields}) + "\n"
        self._socket.sendall(line.encode())
        while True:
            message = self._read()
            if message.get("id") == request_id:
                if not message.get("ok"):
                    error = message.get("error", {})
                    raise AidiError(error.get("code", "?"), error.get("message", "?"))
                return message.get("result")
            self._pending.append(message)  # progress or an event meanwhile

    def _read(self, timeout_s: Optional[float] = None) -> dict:
        self._socket.settimeout(self.timeout_s if timeout_s is None else timeout_s)
        line = self._reader.readline()
        if not line:
            raise ConnectionError("aidi serve closed the connection")
        return json.loads(line)

    # Typed operations.
    def bench_info(self) -> dict:
        return self.request("bench.info")

    def lock(self) -> dict:
        return self.request("lock")

    def unlock(self) -> dict:
        return self.request("unlock")

    def bench_probe(self) -> dict:
        """What answers on the bench: each instrument's identity, or why not."""
        return self.request("bench.probe")

    def subscribe(self, on: bool = True, waveforms: bool = False) -> dict:
        """Progress and events from now on; with waveforms, each run's
        waveform as it is recorded (messages typed "waveform")."""
        return self.request("subscribe", on=on, waveforms=waveforms)

    def set_supply(self, volts: Optional[float] = None, amps: Optional[float] = None,
                   output: Optional[bool] = None) -> dict:
        """A real bench's supply by hand, within the bench file's limits;
        returns what it then measures (volts, amps)."""
        fields: dict[str, Any] = {}
        if volts is not None:
            fields["volts"] = volts
        if amps is not None:
            fields["amps"] = amps
        if output is not None:
            fields["output"] = output
        return self.request("supply.set", **fields)

    def measure_supply(self) -> dict:
        return self.request("supply.measure")

    def set_harvest(self, **harvest: Any) -> dict:
        """The harvest single runs play: a campaign condition's keys
        (trace or constant_w, capacitor_uf, v_on, v_off, start_s, ...)."""
        return self.request("harvester.set", harvest=harvest)

    def start_run(self, model: str, policy: str, samples: int = 1, board: Optional[str] = None,
                  harvest: Optional[dict] = None, waveforms: bool = True, name: Optional[str] = None) -> dict:
        """One run (a campaign of one); returns {"campaign": id, "run": id}.
        Wait for it with wait_campaign(), stop it with stop_campaign()."""
        fields: dict[str, Any] = {"model": model, "policy": policy, "samples": samples, "waveforms": waveforms}
        if board is not None:
            fields["board"] = board
        if harvest is not None:
            fields["harvest"] = harvest
        if name is not None:
            fields["name"] = name
        return self.request("run.start", **fields)

    def start_campaign(self, file: Optional[str] = None, toml: Optional[str] = None) -> int:
        fields = {"file": file} if file is not None else {"toml": toml}
        return self.request("campaign.start", **fields)["campaign"]

    def stop_campaign(self) -> dict:
        return self.request("campaign.stop")

    def wait_campaign(self, timeout_s: float = 3600.0) -> dict:
        old = self.timeout_s
        self.timeout_s = timeout_s + 10
        try:
            return self.request("campaign.wait", timeout_s=timeout_s)
        finally:
            self.timeout_s = old

    def campaigns(self) -> list[dict]:
        return self.request("runs")

    def runs(self, campaign: int) -> list[dict]:
        return self.request("runs", campaign=campaign)

    def stats(self, run: int, sample: int = 0, t0: Optional[float] = None, t1: Optional[float] = None) -> dict:
        """Between two times of a run's recorded waveform (sample -1: the whole
        run): duration, voltage at each end, charge, energy, average power."""
        fields: dict[str, Any] = {"run": run, "sample": sample}
        if t0 is not None:
            fields["t0"] = t0
        if t1 is not None:
            fields["t1"] = t1
        return self.request("stats", **fields)

    def waveform(self, run: int, sample: int = 0, channel: str = "power", t0: Optional[float] = None,
                 t1: Optional[float] = None, max_samples: int = 10000) -> dict:
        """One channel's recorded samples (t, v) between two times; refused
        (AidiError) when more than max_samples lie between them."""
        fields: dict[str, Any] = {"run": run, "sample": sample, "channel": channel, "max_samples": max_samples}
        if t0 is not None:
            fields["t0"] = t0
        if t1 is not None:
            fields["t1"] = t1
        return self.request("waveform", **fields)

    def export(self, campaign: Optional[int] = None, run: Optional[int] = None, format: str = "html",
               table: Optional[str] = None) -> dict:
        """A campaign's (or a run's campaign's) report as html, csv or json;
        one table's rows (table=, csv or json); or format="sqlite": a run
        database of that campaign alone, base64 in "content" (save_export)."""
        fields: dict[str, Any] = {"format": format}
        if campaign is not None:
            fields["campaign"] = campaign
        if run is not None:
            fields["run"] = run
        if table is not None:
            fields["table"] = table
        return self.request("export", **fields)

    def save_export(self, path: str, **export: Any) -> str:
        """export(...) written to `path` (decoded when base64); returns path."""
        result = self.export(**export)
        data = (base64.b64decode(result["content"]) if result.get("encoding") == "base64"
                else result["content"].encode())
        with open(path, "wb") as f:
            f.write(data)
        return path

    # The server's own messages, in order: those that arrived during requests
    # first, then as they come; ends when `until` is true of one (included)
    # or after `timeout_s` without any.
    def messages(self, until: Optional[Callable[[dict], bool]] = None, timeout_s: float = 600.0) -> Iterator[dict]:
        while True:
            if self._pending:
                message = self._pending.popleft()
            else:
                try:
                    message = self._read(timeout_s)
                except (socket.timeout, TimeoutError):
                    return
            yield message
            if until is not None and until(message):
                return


def wait_for_port(host: str, port: int, timeout_s: float = 30.0) -> None:
    """Returns once something accepts connections on host:port."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            socket.create_connection((host, port), timeout=1).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)

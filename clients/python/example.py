#!/usr/bin/python3
"""Runs a small campaign on `aidi serve` and prints each run's result.

    aidi serve &                       # prints its port
    python3 clients/python/example.py PORT
"""
import sys

from aidi_client import AidiClient

CAMPAIGN = """[campaign]
name = "from-python"
samples = 2
[matrix]
models = ["inas-tiny"]
policies = ["loop", "aidi"]
[[condition]]
name = "steady"
constant_w = 0.002
capacitor_uf = 100
"""

with AidiClient("127.0.0.1", int(sys.argv[1])) as bench:
    bench.lock()
    bench.subscribe()
    campaign = bench.start_campaign(toml=CAMPAIGN)
    for m in bench.messages(until=lambda m: m.get("event") == "campaign_ended"):
        if m.get("event") == "sample_done":
            print(f"{m['model']} / {m['policy']}: sample {m['sample']} predicted {m['predicted']} "
                  f"(label {m['label']}) in {m['latency_s']:.3g} s")
    for run in bench.runs(campaign):
        print(run)
    bench.unlock()

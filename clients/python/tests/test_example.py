"""The example a user copies into their own CI: a small campaign on the
virtual bench through `aidi serve`, checked with pytest.

    AIDI_CLI=/path/to/aidi python3 -m pytest clients/python/tests/test_example.py
"""
import os
import subprocess
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from aidi_client import AidiClient  # noqa: E402

AIDI = os.environ.get("AIDI_CLI", "aidi")


@pytest.fixture
def bench(tmp_path):
    """A virtual bench served on a free loopback port, with its own database."""
    server = subprocess.Popen([AIDI, "serve", "--db", str(tmp_path / "runs.sqlite")], stdout=subprocess.PIPE, text=True)
    banner = server.stdout.readline()  # "aidi serve: API 1.0 on 127.0.0.1:PORT, database ..."
    port = int(banner.split(" on ")[1].split(",")[0].rsplit(":", 1)[1])
    with AidiClient("127.0.0.1", port) as client:
        client.lock()
        yield client
    server.terminate()
    server.wait(timeout=30)
    server.stdout.close()


def test_aidi_finishes_every_sample_and_predicts_like_the_model(bench):
    campaign = bench.start_campaign(toml="""[campaign]
name = "ci-check"
samples = 3
[matrix]
models = ["inas-tiny"]
policies = ["aidi"]
[[condition]]
name = "weak-light"
constant_w = 0.0005
capacitor_uf = 100
""")
    assert "error" not in bench.wait_campaign(timeout_s=300)
    (run,) = bench.runs(campaign)
    assert run["state"] == "done"
    assert run["finished"] == 3

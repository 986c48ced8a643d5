#!/usr/bin/python3
"""Walks docs/real-hardware.md's command blocks in order against the simulators.

The guide's ```sh blocks are run as written, in one bash session, in a
scratch folder that sees the source tree's fixtures/, with the built `aidi`
first on PATH. Only the lines marked `# yours:` change: the supply becomes
`aidi virtual-psu` (a simulated DP832 on loopback), the board's port a
pseudo-terminal this test holds open, and the probe's serial one no probe
has, so a plugged-in board is never programmed. The line marked
`# needs the board` must fail (exit 1) saying no probe was found; every other
line must succeed. Afterwards the simulated supply's output must be off.

usage: real_hardware_guide_test.py SOURCE_DIR AIDI_PROGRAM
"""
import os
import pty
import re
import socket
import subprocess
import sys
import tempfile
import threading

from doc_commands import missing, run_bash, sh_blocks

YOURS = re.compile(r"^(\w+)=\S+(\s+# yours:.*)$")
NEEDS_BOARD = "# needs the board"


def scpi_query(port, query):
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall((query + "\n").encode())
        return s.makefile().readline().strip()


def drain(fd):
    """The board's side of the pseudo-terminal: what the bench writes is dropped."""
    try:
        while os.read(fd, 4096):
            pass
    except OSError:
        pass  # closed at the end


def main():
    source, aidi = sys.argv[1], os.path.abspath(sys.argv[2])
    blocks = [body for _, body in sh_blocks(os.path.join(source, "docs", "real-hardware.md"))]
    assert len(blocks) >= 3, f"expected the guide's command blocks, found {len(blocks)}"

    supply = subprocess.Popen([aidi, "virtual-psu", "--port", "0"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True)
    master, slave = pty.openpty()
    threading.Thread(target=drain, args=(master,), daemon=True).start()
    try:
        port = None
        for line in supply.stdout:
            m = re.search(r"127\.0\.0\.1:(\d+)", line) or re.search(r"port (\d+)", line)
            if m:
                port = int(m.group(1))
                break
        assert port, "aidi virtual-psu did not say its port"
        # Its log is read on, so the simulator never blocks on a full pipe.
        threading.Thread(target=lambda: [None for _ in supply.stdout], daemon=True).start()
        values = {"SUPPLY": f"TCPIP0::127.0.0.1::{port}::SOCKET", "PORT": os.ttyname(slave),
                  "PROBE": "AIDI-TEST-NO-SUCH-PROBE"}

        lines = ["set -e"]
        marked = 0
        for block in blocks:
            for line in block.splitlines():
                yours = YOURS.match(line)
                if yours:
                    assert yours.group(1) in values, f"no simulated value for {yours.group(1)}"
                    line = f"{yours.group(1)}={values[yours.group(1)]}"
                elif NEEDS_BOARD in line:
                    marked += 1
                    # Without the board it must fail, and say why.
                    command = line.split(NEEDS_BOARD)[0].strip()
                    line = (f"if out=$({command} 2>&1); then echo 'UNEXPECTED: succeeded without a board: {command}';"
                            f" exit 1; fi; echo \"$out\"; grep -q 'no debug probe found' <<< \"$out\"")
                lines.append(line)
        assert marked == 1, f"expected one line that needs the board, found {marked}"
        script = "\n".join(lines) + "\n"

        with tempfile.TemporaryDirectory(prefix="aidi-guide-") as work:
            os.symlink(os.path.join(source, "fixtures"), os.path.join(work, "fixtures"))
            code, out = run_bash(script, work, work, timeout=900,
                                 PATH=os.path.dirname(aidi) + os.pathsep + os.environ.get("PATH", ""))
            if code != 0:
                print(f"FAILED: the guide's steps stopped with exit {code}")
                return 1
            lacking = missing(out, (("supply: RIGOL TECHNOLOGIES DP832", "the probe identifies the supply"),
                                    (f"link: {values['PORT']} present", "the probe finds the board's port"),
                                    ("channel 1: 3.3000 V", "the supply is on at 3.3 V by hand"),
                                    ('"nucleo-demo": 0 runs done, 16 failed', "every run fails without the board")))
            if lacking:
                print(f"FAILED: {lacking[1]} (no '{lacking[0]}' above)")
                return 1
        assert supply.poll() is None, f"aidi virtual-psu ended (exit {supply.poll()}) during the guide's steps"
        state = scpi_query(port, "OUTP? CH1")
        if state.upper() not in ("OFF", "0"):
            print(f"FAILED: the supply's output is {state} after the guide's steps")
            return 1
    finally:
        supply.terminate()
        supply.wait(timeout=10)
        os.close(master)
        os.close(slave)
    print("ok: every step of the guide ran as written against the simulators")
    return 0


if __name__ == "__main__":
    sys.exit(main())

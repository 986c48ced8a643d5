#!/usr/bin/python3
"""Follows README.md's command blocks literally, in order, as a new user would.

Every ```sh block of the README is run, as written, in one bash session from
the source tree (so `export` lines carry over), with `set -e`: the first
command that fails fails the test, naming its block and line. One line is
left out: `make test`, which is what runs this test. `console` blocks (they
need hardware) are not run. HOME is a fresh folder, so nothing of the user's
is read or written, and there is no display.

usage: readme_commands_test.py SOURCE_DIR BUILD_DIR
"""
import os
import re
import sys
import tempfile

from doc_commands import missing, run_bash, sh_blocks

# The test itself runs under `make test`; running it again would recurse.
SKIPPED = re.compile(r"^make test\b")


def script_of(found):
    """One bash script: each block's lines as written, `make test` left out,
    with a trace line before each block naming where it is in README.md."""
    parts = ["set -e"]
    for line, body in found:
        parts.append(f"echo '--- README.md line {line}' >&2")
        kept = [l if not SKIPPED.match(l) else ": make test is what runs this test" for l in body.splitlines()]
        parts.append("\n".join(kept))
    return "\n".join(parts) + "\n"


def main():
    source, build = sys.argv[1], sys.argv[2]
    if os.path.realpath(build) != os.path.realpath(os.path.join(source, "build")):
        # The README's paths are written for the default build folder.
        print(f"skipped: the README's commands use build/, this tree is built in {build}")
        return 77
    found = sh_blocks(os.path.join(source, "README.md"))
    assert len(found) >= 5, f"expected the quick start and next-steps blocks, found {len(found)}"
    script = script_of(found)
    with tempfile.TemporaryDirectory(prefix="aidi-readme-") as home:
        code, out = run_bash(script, source, home, timeout=1500)
        if code != 0:
            print(f"FAILED: a README command exited {code} (the last '--- README.md line' above is its block)")
            return 1
        # Checked beyond exit codes: what the commands were meant to do.
        lacking = missing(out.replace(" ", ""),
                          (('"name":"mine"', "`aidi list --json` lists the campaign the README runs"),
                           ("--policy", "`aidi help sim` shows sim's options"),
                           ('"finished":true', "`aidi sim --json` finished its inference")))
        if lacking:
            print(f"FAILED: {lacking[1]}")
            return 1
        leaked = os.path.join(home, ".local", "share", "aidi-bench", "aidi.sqlite")
        if os.path.exists(leaked):
            print("FAILED: with AIDI_DB exported, a command still wrote the default database")
            return 1
    print(f"ok: {len(found)} README blocks ran")
    return 0


if __name__ == "__main__":
    sys.exit(main())

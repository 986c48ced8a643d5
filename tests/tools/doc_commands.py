"""The command blocks of a Markdown document, and running them as a user would.

Shared by the tests that follow README.md and docs/real-hardware.md literally.
"""
import os
import re
import subprocess

SH_BLOCK = re.compile(r"^```sh\n(.*?)^```", re.S | re.M)


def sh_blocks(markdown):
    """The ```sh blocks of `markdown` (a path) in order, each with the line it starts at."""
    text = open(markdown, encoding="utf-8").read()
    return [(text.count("\n", 0, m.start()) + 2, m.group(1)) for m in SH_BLOCK.finditer(text)]


def run_bash(script, cwd, home, timeout, **extra_env):
    """Runs `script` in one bash session from `cwd` with a scratch HOME, none
    of the caller's AIDI_* or make variables and no display; prints its output
    (the end of it) and returns (exit code, output)."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("AIDI_") and k not in ("DISPLAY", "WAYLAND_DISPLAY", "MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    env.update(HOME=home, XDG_DATA_HOME=os.path.join(home, ".local", "share"), QT_QPA_PLATFORM="offscreen")
    env.update(extra_env)
    run = subprocess.run(["bash", "-c", script], cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         text=True, timeout=timeout)
    print(run.stdout[-20000:])
    return run.returncode, run.stdout


def missing(output, expectations):
    """The first (expected text, what it shows) pair whose text is not in `output`, or None."""
    return next(((text, what) for text, what in expectations if text not in output), None)

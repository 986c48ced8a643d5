#!/usr/bin/python3
"""tools/readme_figures.py: fills the README's generated blocks from the
benchmarks' outputs and the study's summary, and refuses a block whose
source is missing without touching the README."""
import os
import subprocess
import sys
import tempfile
import unittest

SCRIPT = os.path.join(os.path.dirname(__file__), "..", "..", "tools", "readme_figures.py")


def run(figures, results, readme):
    return subprocess.run([sys.executable, SCRIPT, "--figures", figures, "--results", results, "--readme", readme],
                          capture_output=True, text=True)


class ReadmeFigures(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        d = self.dir.name
        self.readme = os.path.join(d, "README.md")
        self.results = os.path.join(d, "RESULTS.md")
        with open(self.results, "w") as f:
            f.write("# x\nRatio target met in 3 of 4 cells.\nother line\n")
        with open(os.path.join(d, "bench.txt"), "w") as f:
            f.write("bench: 42 frames/s\n")

    def tearDown(self):
        self.dir.cleanup()

    def test_fills_every_block_and_keeps_the_rest(self):
        with open(self.readme, "w") as f:
            f.write("intro\n<!-- generated: bench -->\nstale 1\n<!-- /generated -->\nmiddle\n"
                    "<!-- generated: study -->\n<!-- /generated -->\nend\n")
        r = run(self.dir.name, self.results, self.readme)
        self.assertEqual(r.returncode, 0, r.stderr)
        text = open(self.readme).read()
        self.assertIn("```\nbench: 42 frames/s\n```\n<!-- /generated -->", text)
        self.assertNotIn("stale 1", text)
        self.assertIn("Ratio target met in 3 of 4 cells.", text)
        self.assertNotIn("other line", text)
        self.assertTrue(text.startswith("intro\n") and "middle\n" in text and text.endswith("end\n"))
        # Running again gives the same file.
        run(self.dir.name, self.results, self.readme)
        self.assertEqual(open(self.readme).read(), text)

    def test_a_missing_source_is_named_and_nothing_is_written(self):
        original = "<!-- generated: bench -->\nold\n<!-- /generated -->\n<!-- generated: nope -->\n<!-- /generated -->\n"
        with open(self.readme, "w") as f:
            f.write(original)
        r = run(self.dir.name, self.results, self.readme)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("nope", r.stderr)
        self.assertEqual(open(self.readme).read(), original)


if __name__ == "__main__":
    unittest.main()

"""The data tools start without TensorFlow: splitting images must not pay its seconds of start-up."""
import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "PYTHONPATH": str(REPO), "PAGER": "cat"}
HEAVY = ("tensorflow", "keras")


def python(*args):
    """Run `python args` in a fresh interpreter; returns (completed process, CPU seconds it used)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = subprocess.run([sys.executable, *args], cwd=REPO, env=ENV, capture_output=True, text=True, timeout=60)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return result, after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime


@pytest.mark.parametrize("code", [
    "import discogan.image_split, discogan.make_unpaired, discogan.options.checks, discogan.options.presets",
    "import runpy; runpy.run_path('scripts/download_dataset.py', run_name='not_main')",
])
def test_data_tools_import_no_tensorflow(code):
    check = f"{code}\nimport sys\nloaded = [m for m in {HEAVY!r} if m in sys.modules]\nassert not loaded, loaded"
    result, _ = python("-c", check)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("command", [["-m", "discogan.image_split", "--help"],
                                     ["-m", "discogan.make_unpaired", "--help"],
                                     ["scripts/download_dataset.py", "--help"]])
def test_data_tools_answer_help_in_under_a_second(command):
    """Measured in CPU seconds, which other work on the machine does not stretch; TensorFlow's import alone costs
    several."""
    result, seconds = python(*command)
    assert result.returncode == 0, result.stderr
    assert seconds < 1.0, f"{' '.join(command)} took {seconds:.2f} CPU seconds"

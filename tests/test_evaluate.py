"""The evaluate command end to end on the tiny trained model, and its helpers on constructed inputs."""
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from discogan.evaluate import evaluate
from discogan.inference.evaluation import (METRIC_KEYS, REFERENCES, format_table, identity_outputs, in_batches,
                                           is_sketch_domain, mean_image_outputs, real_shuffled_outputs, score,
                                           sketch_output)
from tests.conftest import run_command

REPO = Path(__file__).resolve().parents[1]


def test_evaluate_reports_every_metric_for_both_directions_and_references(tiny_run, tmp_path, capsys):
    output = tmp_path / "metrics.json"
    results = evaluate(str(tiny_run.checkpoint_dir), str(tiny_run.dataset), output=str(output))
    assert json.loads(output.read_text()) == json.loads(json.dumps(results))
    assert results["paired"] is True and results["count"] == {"A": 4, "B": 4}
    for scores in (results, *(results[name] for name in REFERENCES)):
        for direction in ("a2b", "b2a"):
            assert set(scores[direction]) == set(METRIC_KEYS)
            for key in ("cycle_mse", "l1", "psnr", "ssim", "structure", "retrieval_at_1", "diversity", "swd"):
                assert math.isfinite(scores[direction][key]), (direction, key)
    # sketches are domain A in the drawn dataset: edge F1 is scored for B->A only
    assert results["a2b"]["edge_f1"] is None and 0.0 <= results["b2a"]["edge_f1"] <= 1.0
    assert results["a2b"] != results["untrained"]["a2b"]
    table = capsys.readouterr().out
    assert "cycle_mse" in table and "b2a mean_image" in table and "a2b real_shuffled" in table
    assert "a2b identity" in table and "retrieval_at_1" in table
    assert results["identity"]["a2b"]["cycle_mse"] == 0.0 and results["identity"]["b2a"]["cycle_mse"] == 0.0
    assert results["real_shuffled"]["b2a"]["swd"] < results["mean_image"]["b2a"]["swd"]


def test_unpaired_split_skips_paired_metrics(tiny_run, tmp_path):
    for domain, stems in (("A", range(4)), ("B", range(10, 14))):
        folder = tmp_path / f"val{domain}"
        folder.mkdir()
        for index, stem in zip(range(4), stems):
            (folder / f"{stem}.png").write_bytes((tiny_run.dataset / f"val{domain}" / f"{index}_AB.png").read_bytes())
    results = evaluate(str(tiny_run.checkpoint_dir), str(tmp_path))
    assert results["paired"] is False
    assert results["a2b"]["l1"] is None and results["b2a"]["ssim"] is None
    assert math.isfinite(results["b2a"]["swd"]) and math.isfinite(results["a2b"]["cycle_mse"])


def test_mean_image_reference_outputs_the_target_mean():
    a, b = np.full((3, 4, 4, 3), -1.0), np.stack([np.full((4, 4, 3), v) for v in (0.0, 0.5, 1.0)])
    x_ab, x_aba, x_ba, x_bab = mean_image_outputs(a, b)
    np.testing.assert_allclose(x_ab, 0.5)
    np.testing.assert_allclose(x_aba, -1.0)
    np.testing.assert_allclose(x_ba, -1.0)
    np.testing.assert_allclose(x_bab, 0.5)


def test_real_shuffled_reference_gives_the_next_real_counterpart():
    a, b = np.arange(3.0).reshape(3, 1), np.arange(2.0).reshape(2, 1) + 10
    x_ab, x_aba, x_ba, x_bab = real_shuffled_outputs(a, b)
    assert x_ab.ravel().tolist() == [11, 10, 11] and x_aba.ravel().tolist() == [1, 2, 0]
    assert x_ba.ravel().tolist() == [1, 2] and x_bab.ravel().tolist() == [11, 10]


def test_identity_reference_returns_its_input():
    a, b = np.zeros((3, 1)), np.ones((2, 1))
    x_ab, x_aba, x_ba, x_bab = identity_outputs(a, b)
    assert x_ab is a and x_aba is a and x_ba is b and x_bab is b


def test_identity_reference_on_an_unpaired_split_of_unequal_domains():
    """Only metrics that need no pairs run on unpaired splits, so outputs as long as their input are fine."""
    rng = np.random.default_rng(0)
    a, b = rng.uniform(-1, 1, (5, 16, 16, 3)), rng.uniform(-1, 1, (3, 16, 16, 3))
    scores = score(identity_outputs(a, b), a, b, paired=False, sketch_domain="none")
    for direction in ("a2b", "b2a"):
        assert scores[direction]["retrieval_at_1"] is None and scores[direction]["structure"] is None
        assert scores[direction]["cycle_mse"] == 0.0 and math.isfinite(scores[direction]["diversity"])


def test_table_lists_every_metric_and_reference_in_aligned_columns():
    row = {key: None for key in METRIC_KEYS}
    table = format_table({**{direction: row for direction in ("a2b", "b2a")},
                          **{name: {"a2b": row, "b2a": row} for name in REFERENCES}})
    lines = table.splitlines()
    assert [line.split()[0] for line in lines[2:]] == list(METRIC_KEYS)
    assert len({len(line) for line in lines}) == 1


def test_batches_cover_both_domains_of_different_lengths():
    def identity(a, b):
        return a, a, b, b
    a, b = np.arange(5.0).reshape(5, 1), np.arange(2.0).reshape(2, 1) + 10
    x_ab, _, x_ba, _ = in_batches(identity, a, b, batch_size=2)
    np.testing.assert_array_equal(x_ab, a)
    np.testing.assert_array_equal(x_ba, b)


def test_sketch_domain_detection_and_flag():
    sketch = np.ones((2, 8, 8, 3))
    sketch[:, 3] = -1.0
    photo = np.random.default_rng(0).uniform(-1, 1, (2, 8, 8, 3))
    assert is_sketch_domain(sketch) and not is_sketch_domain(photo)
    assert sketch_output("auto", sketch, photo) == (False, True)
    assert sketch_output("B", sketch, photo) == (True, False)
    with pytest.raises(ValueError, match="--sketch_domain"):
        sketch_output("C", sketch, photo)


def test_cli_errors_are_one_line(tmp_path):
    result = subprocess.run([sys.executable, "-m", "discogan.evaluate", "--checkpoint_dir", str(tmp_path / "none"),
                             "--dataset_dir", str(tmp_path)], cwd=REPO, capture_output=True, text=True,
                            env={**os.environ, "PYTHONPATH": str(REPO)})
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1] == f"error: checkpoint not found: {tmp_path / 'none'}"
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("flags, message", [(["--limit", "0"], "--limit must be a whole number >= 1"),
                                            (["--output", "{folder}"], "is a folder: give a file name")])
def test_bad_limit_and_an_output_folder_are_refused_before_any_work(tiny_run, tmp_path, flags, message):
    flags = [flag.format(folder=tmp_path) for flag in flags]
    result = subprocess.run([sys.executable, "-m", "discogan.evaluate", "--checkpoint_dir", str(tiny_run.checkpoint_dir),
                             "--dataset_dir", str(tiny_run.dataset), *flags], cwd=REPO, capture_output=True,
                            text=True, env={**os.environ, "PYTHONPATH": str(REPO)})
    assert result.returncode == 2 and message in result.stderr and "Traceback" not in result.stderr
    assert "metric" not in result.stdout  # no table: nothing was evaluated


def test_an_output_that_cannot_be_written_is_refused_before_the_evaluation_runs(tmp_path, monkeypatch, capsys):
    import discogan.evaluate
    monkeypatch.setattr(discogan.evaluate, "evaluate_checkpoint", lambda *args: pytest.fail("evaluated"))
    (tmp_path / "file").write_text("not a folder")
    status, errors = run_command(monkeypatch, capsys, evaluate, "--checkpoint_dir", tmp_path, "--dataset_dir", tmp_path,
                                 "--output", tmp_path / "file" / "scores.json")
    assert status == 2 and len(errors) == 1 and errors[0].startswith("error: ") and "file" in errors[0]

    def read_only(path, mode):  # the tests run as root, whom chmod won't stop
        raise PermissionError(13, "Permission denied", str(path))
    monkeypatch.setattr(discogan.evaluate, "open", read_only, raising=False)
    status, errors = run_command(monkeypatch, capsys, evaluate, "--checkpoint_dir", tmp_path, "--dataset_dir", tmp_path,
                                 "--output", tmp_path / "scores.json")
    assert (status, errors) == (1, [f"error: [Errno 13] Permission denied: '{tmp_path / 'scores.json'}'"])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file"]

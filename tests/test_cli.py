"""discogan.util.cli.run: flags are checked before the command runs, and every failure or stop ends in one line."""
import errno
import os
import signal
from typing import Tuple, Union

import pytest

from tests.conftest import run_command


def make_command(calls):
    """A command with the flag kinds the real ones have: a path, whole numbers, a rate, one or two weights (as
    --lambda_colour) and a switch."""
    def split(path, resize=None, val_size=100, l_r=2e-4, weights: Union[float, Tuple[float, float]] = 0.0,
              overwrite=False, grid=False):
        calls.append({"path": path, "resize": resize, "val_size": val_size, "l_r": l_r, "weights": weights,
                      "overwrite": overwrite, "grid": grid})
    return split


@pytest.mark.parametrize("flags, expected", [
    (["--resise", "64"], "unknown flag --resise: did you mean --resize?"),
    (["--resize=64", "--bogus"], "unknown flag --bogus: --help lists the flags"),
    (["--nooverwrite=1"], "unknown flag --nooverwrite: did you mean --overwrite?"),
    (["--l_r", "abc"], "--l_r must be a number, got 'abc'"),
    (["--val-size"], "--val_size must be a number, got nothing"),
    (["--l_r", "1,2"], "--l_r must be a number, got '1,2'"),
    (["--weights", "30,x"], "--weights must be a number or several, such as 30,10, got '30,x'"),
    (["--overwrite=false"], "--overwrite must be True or False, got 'false'"),
    (["--overwrite", "yes"], "--overwrite must be True or False, got 'yes'"),
])
def test_a_bad_flag_is_one_line_before_the_command_runs(flags, expected, monkeypatch, capsys):
    calls = []
    status, errors = run_command(monkeypatch, capsys, make_command(calls), "in", *flags)
    assert (status, errors, calls) == (2, [f"error: {expected}"], [])


@pytest.mark.parametrize("flags, expected", [
    (["--resize=64", "--val-size", "3", "--overwrite"], {"resize": 64, "val_size": 3, "overwrite": True}),
    (["--nooverwrite", "--l_r", "1e-3", "-r", "8"], {"overwrite": False, "l_r": 1e-3, "resize": 8}),
    (["--val_size", "-3"], {"val_size": -3}),  # a negative number is a value; the command judges it
    (["--weights", "30,10"], {"weights": (30, 10)}),
    (["--weights=3"], {"weights": 3}),
    (["--grid=sheet.png", "--overwrite=True"], {"grid": "sheet.png", "overwrite": True}),
])
def test_every_form_fire_accepts_still_runs(flags, expected, monkeypatch, capsys):
    calls = []
    assert run_command(monkeypatch, capsys, make_command(calls), "in", *flags)[0] == 0
    assert len(calls) == 1 and {key: calls[0][key] for key in expected} == expected


@pytest.mark.parametrize("flags", [["--resise", "64", "--help"], ["in", "--resize", "64", "--help"],
                                   ["--path", "in", "--", "--help"], ["-h"]])
def test_help_shows_help_and_runs_nothing(flags, monkeypatch, capsys):
    calls = []
    status, _ = run_command(monkeypatch, capsys, make_command(calls), *flags)
    assert status == 0 and calls == []


@pytest.mark.parametrize("args, stray", [
    (["in", "2"], "'2'"),
    (["--path", "in", "--resize", "64", "2"], "'2'"),
    (["in", "--l_r", "1e-3", "oops", "-4", "--overwrite"], "'oops', '-4'"),
])
def test_a_value_that_follows_no_flag_is_refused_by_name_before_the_command_runs(args, stray, monkeypatch, capsys):
    """fire gave it to the next parameter not given, which can be --overwrite."""
    calls = []
    status, errors = run_command(monkeypatch, capsys, make_command(calls), *args)
    assert (status, calls) == (2, []) and len(errors) == 1
    assert errors[0].startswith(f"error: unexpected value{'s' if ',' in stray else ''} {stray}: a value goes right "
                                f"after its flag")


def test_a_value_for_fire_after_a_double_dash_is_left_to_fire(monkeypatch, capsys):
    calls = []
    status, _ = run_command(monkeypatch, capsys, make_command(calls), "--path", "in", "--", "--separator=_")
    assert status == 0 and calls[0]["path"] == "in"


def stray_value_refused(monkeypatch, capsys, main, *args):
    status, errors = run_command(monkeypatch, capsys, main, *args)
    return status == 2 and len(errors) == 1 and errors[0].startswith(f"error: unexpected value {str(args[-1])!r}")


def test_image_split_and_export_refuse_a_stray_value_and_touch_nothing(monkeypatch, capsys, tmp_path, pairs):
    from discogan import export, image_split
    for folder in ("trainA", "export/1"):
        (tmp_path / folder).mkdir(parents=True)
        (tmp_path / folder / "mine.txt").write_text("a user's file")
    assert stray_value_refused(monkeypatch, capsys, image_split.main, "--path", tmp_path, "--_dir_", "train",
                               "--resize", 32, "--a_side", "left", 2)
    assert stray_value_refused(monkeypatch, capsys, export.export, "--checkpoint_dir", tmp_path / "checkpoint",
                               "--export_dir", tmp_path / "export", "--version", 1, 2)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["export", "train", "trainA"]
    for folder in ("trainA", "export/1"):
        assert [p.name for p in (tmp_path / folder).iterdir()] == ["mine.txt"]


def test_train_refuses_a_stray_value_before_building_anything(monkeypatch, capsys, tmp_path):
    from discogan.train import process_main
    assert stray_value_refused(monkeypatch, capsys, {"process_main": process_main}, "process_main", "--dataset_dir",
                               tmp_path, "--checkpoint_dir", tmp_path / "checkpoint", "--run_name", "b", "stray")
    assert list(tmp_path.iterdir()) == []


def test_train_checks_its_flags_before_building_anything(monkeypatch, capsys, tmp_path):
    from discogan.train import process_main
    for flags, expected in ((["--bogus", "1"], "unknown flag --bogus"), (["--l_r", "abc"], "--l_r must be a number"),
                            (["--pool-sise", "4"], "did you mean --pool_size?")):
        status, errors = run_command(monkeypatch, capsys, {"process_main": process_main}, "process_main",
                                     "--dataset_dir", tmp_path, "--checkpoint_dir", tmp_path / "checkpoint", *flags)
        assert status == 2 and len(errors) == 1 and expected in errors[0]
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("error, status, expected", [
    (PermissionError(errno.EACCES, "Permission denied", "out/trainA"), 1, "Permission denied: 'out/trainA'"),
    (OSError(errno.ENOSPC, "No space left on device", "out/1.png"), 1, "No space left on device: 'out/1.png'"),
    (IsADirectoryError(errno.EISDIR, "Is a directory", "scores"), 2, "Is a directory: 'scores'"),
])
def test_file_system_errors_are_one_line(error, status, expected, monkeypatch, capsys):
    def fail(path):
        raise error
    code, errors = run_command(monkeypatch, capsys, fail, "in")
    assert code == status and len(errors) == 1 and errors[0].startswith("error: ") and expected in errors[0]


def test_sigterm_stops_like_ctrl_c_with_status_143(monkeypatch, capsys):
    cleaned = []

    def stopped_by_the_system(path):
        try:
            os.kill(os.getpid(), signal.SIGTERM)
        finally:
            cleaned.append(path)

    before = signal.getsignal(signal.SIGTERM)
    status, errors = run_command(monkeypatch, capsys, stopped_by_the_system, "in")
    assert (status, errors, cleaned) == (143, ["interrupted"], ["in"])
    assert signal.getsignal(signal.SIGTERM) == before

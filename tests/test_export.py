"""discogan.export: the SavedModel loads in a fresh plain-TF2 process and agrees with checkpoint inference."""
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from discogan.export import export
from discogan.inference.translator import Translator
from discogan.translate import translate_images
from tests.conftest import run_command

# Run in a fresh process that cannot import discogan: only TensorFlow reads the export.
LOAD_IN_PLAIN_TF2 = textwrap.dedent("""
    import sys
    import numpy as np
    import tensorflow as tf
    export_dir, inputs_file, outputs_file = sys.argv[1:]
    signatures = tf.saved_model.load(export_dir).signatures
    inputs = np.load(inputs_file)
    outputs = {name: signatures[name](tf.constant(inputs[name]))["images"].numpy() for name in ("a2b", "b2a")}
    assert "discogan" not in sys.modules
    np.savez(outputs_file, **outputs)
""")


@pytest.fixture(scope="module")
def exported(tiny_run, tmp_path_factory):
    """The tiny model exported through the CLI, as a user would."""
    export_dir = tmp_path_factory.mktemp("export") / "bags"
    result = subprocess.run([sys.executable, "-m", "discogan.export", "--checkpoint_dir", str(tiny_run.checkpoint_dir),
                             "--export_dir", str(export_dir)], capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr[-2000:]
    return export_dir


def test_layout_is_what_tf_serving_loads(exported):
    assert (exported / "1" / "saved_model.pb").is_file()
    assert (exported / "1" / "variables" / "variables.index").is_file()


def test_fresh_tf2_process_matches_checkpoint_inference(exported, tiny_run, tmp_path):
    rng = np.random.RandomState(1)
    inputs = {"a2b": rng.randint(0, 256, (3, 50, 70, 3)).astype(np.uint8),
              "b2a": rng.randint(0, 256, (2, 64, 64, 3)).astype(np.uint8)}
    np.savez(tmp_path / "inputs.npz", **inputs)
    result = subprocess.run([sys.executable, "-c", LOAD_IN_PLAIN_TF2, str(exported / "1"), str(tmp_path / "inputs.npz"),
                             str(tmp_path / "outputs.npz")], capture_output=True, text=True, timeout=180, cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    served = np.load(tmp_path / "outputs.npz")
    for name, direction in (("a2b", "AtoB"), ("b2a", "BtoA")):
        with Translator.from_checkpoint(tiny_run.checkpoint_dir, direction) as translator:
            expected = translator.translate(inputs[name])
        assert served[name].dtype == np.uint8 and served[name].shape == (len(inputs[name]), 64, 64, 3)
        assert np.abs(served[name].astype(int) - expected).max() <= 1


def test_translate_runs_from_the_export(exported, tiny_run, tmp_path):
    image = np.random.RandomState(2).randint(0, 256, (2, 40, 40, 3)).astype(np.uint8)
    with Translator.from_saved_model(exported, "BtoA") as translator:
        served = translator.translate(image)
    with Translator.from_checkpoint(tiny_run.checkpoint_dir, "BtoA") as translator:
        assert np.abs(served.astype(int) - translator.translate(image)).max() <= 1
    Image.fromarray(image[0]).save(tmp_path / "bag.png")
    written, _ = translate_images(tmp_path / "bag.png", tmp_path / "out", checkpoint_dir=exported, direction="BtoA")
    assert [p.name for p in written] == ["bag.png"]


def test_refuses_to_overwrite_unless_asked(exported, tiny_run):
    with pytest.raises(FileExistsError, match="--overwrite"):
        export(tiny_run.checkpoint_dir, exported)
    assert export(tiny_run.checkpoint_dir, exported, overwrite=True) == exported / "1"
    assert sorted(p.name for p in exported.iterdir()) == ["1"]


OLD_CHECKPOINT = Path(__file__).parent / "data" / "checkpoint_3920629"


def test_an_export_dir_that_is_a_file_and_a_file_at_the_version_are_refused_and_kept(tmp_path, monkeypatch, capsys):
    (tmp_path / "export").write_text("a user's file")
    status, errors = run_command(monkeypatch, capsys, export, "--checkpoint_dir", OLD_CHECKPOINT, "--export_dir",
                                 tmp_path / "export")
    assert (status, errors) == (2, [f"error: --export_dir {tmp_path / 'export'} is a file, not a folder"])
    (tmp_path / "export").unlink()
    (tmp_path / "export").mkdir()
    (tmp_path / "export" / "1").write_text("a user's file")
    status, errors = run_command(monkeypatch, capsys, export, "--checkpoint_dir", OLD_CHECKPOINT, "--export_dir",
                                 tmp_path / "export", "--overwrite")
    assert (status, errors) == (2, [f"error: output {tmp_path / 'export' / '1'} exists and is not a folder"])
    assert [p.name for p in (tmp_path / "export").iterdir()] == ["1"]
    assert (tmp_path / "export" / "1").read_text() == "a user's file"


def test_an_export_into_a_folder_that_cannot_be_written_is_one_line_and_leaves_nothing(tmp_path, monkeypatch, capsys):
    from tensorflow.python.lib.io import file_io

    def read_only(path):  # what TensorFlow raises in a read-only folder (the tests run as root, whom chmod won't stop)
        raise tf.errors.PermissionDeniedError(None, None, f"{path}; Permission denied")
    monkeypatch.setattr(file_io, "recursive_create_dir", read_only)
    (tmp_path / "export").mkdir()
    status, errors = run_command(monkeypatch, capsys, export, "--checkpoint_dir", OLD_CHECKPOINT, "--export_dir",
                                 tmp_path / "export")
    assert (status, errors) == (1, [f"error: could not write the SavedModel into {tmp_path / 'export'}: "
                                    f"Permission denied"])
    assert list((tmp_path / "export").iterdir()) == []

"""sample_dir/progress.gif: the run's samples over time, at the end of training and on Ctrl-C."""
import signal

import imageio.v3 as iio
import numpy as np
import pytest
from PIL import Image

from discogan.train import process_main
from discogan.training import progress_gif
from discogan.training.discogan import DiscoGAN, TrainingStopped
from discogan.training.progress_gif import MAX_FRAMES, write_progress_gif
from tests.conftest import write_png


def read_gif(path):
    return iio.imread(path, index=None)


def test_a_finished_run_writes_every_sample_as_a_frame_in_order(tiny_run):
    samples = sorted(tiny_run.sample_dir.glob("train_*.png"))
    frames = read_gif(tiny_run.sample_dir / "progress.gif")
    assert frames.shape == (len(samples), *np.asarray(Image.open(samples[0])).shape)


def test_ctrl_c_writes_the_samples_so_far(tiny_dataset, tmp_path, monkeypatch):
    sample = DiscoGAN.sample_model

    def sample_then_stop(model, epoch, idx):
        path = sample(model, epoch, idx)
        if idx == 1:
            signal.raise_signal(signal.SIGINT)
        return path
    monkeypatch.setattr(DiscoGAN, "sample_model", sample_then_stop)
    with pytest.raises(TrainingStopped):
        process_main(dataset_dir=str(tiny_dataset), epochs=5, batch_size=2, gf=8, df=8, seed=0, print_freq=1,
                     save_freq=100, checkpoint_dir=str(tmp_path / "c"), sample_dir=str(tmp_path / "s"),
                     log_dir=str(tmp_path / "l"))
    assert read_gif(tmp_path / "s" / tiny_dataset.name / "progress.gif").shape[0] == 2


def draw_samples(folder, count):
    """`count` one-colour samples named as training names them, epoch by epoch past epoch 99."""
    for index in range(count):
        write_png(folder / f"train_{index // 2 * 50:02d}_{index % 2:04d}.png", np.full((6, 4, 3), index * 4, np.uint8))


def test_a_long_run_keeps_at_most_fifty_frames_first_and_last_among_them(tmp_path):
    draw_samples(tmp_path, 60)
    frames = read_gif(write_progress_gif(tmp_path))
    assert frames.shape == (MAX_FRAMES, 6, 4, 3)
    shades = frames[:, 0, 0, 0].astype(int)
    assert shades[0] == 0 and shades[-1] == 59 * 4 and np.all(np.diff(shades) > 0)


def test_a_failed_write_warns_in_one_line_and_keeps_the_samples(tmp_path, monkeypatch, capsys):
    draw_samples(tmp_path, 3)

    def full_disk(path, write):
        raise OSError(28, "No space left on device", str(path))
    monkeypatch.setattr(progress_gif, "write_atomically", full_disk)
    assert write_progress_gif(tmp_path) is None
    errors = capsys.readouterr().err.splitlines()
    assert len(errors) == 1 and errors[0].startswith(f"warning: could not write {tmp_path / 'progress.gif'}")
    assert len(list(tmp_path.glob("train_*.png"))) == 3 and not (tmp_path / "progress.gif").exists()

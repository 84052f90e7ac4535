"""Training replicated by tf.distribute (discogan.training.distributed): two replicas on two logical CPU devices
train as one device on their whole batch, their checkpoints cross to one device and back, and two worker
processes on localhost end with the same weights."""
import contextlib
import json
import os
import socket
import subprocess
import sys
import textwrap
import time

import numpy as np

from discogan.gan.train_step import build_train_step
from discogan.options.config import TrainConfig
from discogan.runtime.tf_compat import tf, v1
from discogan.training import distributed

SMALL = {"image_size": 32, "load_size": 32, "fine_size": 32, "gf": 8, "df": 8, "batch_size": 16}
# Adam's first step moves a weight by l_r * g / (|g| + 1e-8), about l_r (2e-4) for most gradients: those near 1e-8
# turn float32 rounding of the replicas' sum into part of a step, so a few in a thousand weights may differ by up
# to half a step; the rest agree to rounding.
WEIGHT_TOLERANCE, ROUNDING, NEAR_ZERO_SHARE = 1e-4, 2e-6, 1e-3
# A moving variance learns batch variances corrected by Bessel's n / (n - 1) for a replica's n values per channel:
# at most 8/7 (the 1x1 code, 8 images) on 2 replicas against 16/15 on one device, so the replicas' average is at
# least one device's and at most 15/14 of it; a moving mean learns no correction.
MOVING_VARIANCE_RATIO = (8 / 7) / (16 / 15)


def one_step(devices, x_a, x_b, weights):
    """Losses and every variable after one training step on `devices` replicas from the checkpoint `weights`
    (written first, from the seeded initialisation, when it does not exist yet)."""
    config = TrainConfig(**SMALL, devices=devices, precision="float32")
    graph = tf.Graph()
    with graph.as_default():
        v1.set_random_seed(0)
        strategy = distributed.strategy_for(config)
        with distributed.scope(strategy):
            global_step = v1.train.get_or_create_global_step()
            if strategy:
                step = distributed.replicated_train_step(strategy, tf.data.Dataset.from_tensors((x_a, x_b)).repeat(),
                                                         config.l_r, global_step, config, "float32")
            else:
                step = build_train_step(tf.constant(x_a), tf.constant(x_b), config.l_r, global_step, config)
            saver = v1.train.Saver()
        with v1.Session(config=distributed.session_config(strategy, v1.ConfigProto(), 0)) as session:
            session.run(v1.global_variables_initializer())
            if strategy:
                session.run(step.input_initializer)
            if os.path.exists(f"{weights}.index"):
                saver.restore(session, weights)
            else:
                saver.save(session, weights, write_meta_graph=False)
            losses, _ = session.run([step.losses, step.iteration_ops[0]])
            variables = {variable.op.name: variable for variable in v1.global_variables()}
            values = session.run(variables)
            if strategy:  # every replica holds the same weights
                copies = session.run({name: list(variable.values) for name, variable in variables.items()
                                      if "image_pool" not in name})
                for name, held in copies.items():
                    assert all(np.array_equal(held[0], copy) for copy in held), name
    return losses, values


def test_two_replicas_step_as_one_device(tmp_path):
    """2 replicas x 8 images make the step 1 device makes on the 16: compared where batch norm makes it exact,
    a global batch whose halves are the same 8 images, so each replica's batch statistics are the whole batch's."""
    rng = np.random.default_rng(0)
    half_a, half_b = (rng.uniform(-1, 1, (8, 32, 32, 3)).astype(np.float32) for _ in "ab")
    x_a, x_b = np.concatenate([half_a, half_a]), np.concatenate([half_b, half_b])
    weights = str(tmp_path / "start")
    losses_one, one = one_step(1, x_a, x_b, weights)
    losses_two, two = one_step(2, x_a, x_b, weights)
    assert one.keys() == two.keys()  # the same names: checkpoints cross
    for name in losses_one:
        np.testing.assert_allclose(losses_two[name], losses_one[name], rtol=1e-5, err_msg=name)
    assert two["global_step"] == one["global_step"] == 1
    for name, value in one.items():
        if name.endswith("moving_variance"):
            assert np.all(two[name] >= value - ROUNDING) and np.all(two[name] <= value * MOVING_VARIANCE_RATIO), name
        elif not name.startswith("image_pool"):
            np.testing.assert_allclose(two[name], value, atol=WEIGHT_TOLERANCE, err_msg=name)
            assert np.mean(np.abs(two[name] - value) > ROUNDING) <= NEAR_ZERO_SHARE, name


def test_checkpoints_cross_from_two_replicas_to_one_device_and_back(tiny_dataset, tmp_path):
    """A run trained on 2 replicas resumes on 1 device and again on 2; translate loads its checkpoint."""
    from discogan.inference.translator import Translator
    from discogan.train import process_main
    options = {"dataset_dir": str(tiny_dataset), **SMALL, "batch_size": 4, "seed": 0, "print_freq": 0, "save_freq": 0,
               **{key: str(tmp_path / key) for key in ("checkpoint_dir", "sample_dir", "log_dir")}}
    assert process_main(epochs=1, devices=2, **options) == 2
    assert process_main(epochs=2, **options) == 4
    assert process_main(epochs=3, devices=2, **options) == 6
    folder = tmp_path / "checkpoint_dir" / tiny_dataset.name
    assert json.loads((folder / "config.json").read_text())["devices"] == 2
    names = [name for name, _ in tf.train.list_variables(tf.train.latest_checkpoint(str(folder)))]
    assert not [name for name in names if "replica" in name]
    with Translator.from_checkpoint(folder) as translator:
        assert translator is not None


def free_ports(count):
    sockets = [socket.socket() for _ in range(count)]
    for each in sockets:
        each.bind(("127.0.0.1", 0))
    ports = [each.getsockname()[1] for each in sockets]
    for each in sockets:
        each.close()
    return ports


class Worker(subprocess.Popen):
    """A worker process whose output goes to a file, read while it runs."""

    def __init__(self, command, environment, log):
        self.log = log
        with open(log, "w") as output:
            super().__init__(command, env=environment, stdout=output, stderr=subprocess.STDOUT, text=True)

    def output(self):
        return self.log.read_text()


@contextlib.contextmanager
def workers(command_of_task, folder):
    """Two worker processes of one localhost cluster (TF_CONFIG), `command_of_task(task)` each, logging in
    `folder`; killed on the way out, so a failed or hung test leaves none behind."""
    folder.mkdir()
    cluster = [f"127.0.0.1:{port}" for port in free_ports(2)]
    started = []
    try:
        for task in range(2):
            environment = {**os.environ, "TF_CONFIG": json.dumps({"cluster": {"worker": cluster},
                                                                  "task": {"type": "worker", "index": task}})}
            started.append(Worker(command_of_task(task), environment, folder / f"worker{task}.log"))
        yield started
    finally:
        for worker in started:
            worker.kill()
            worker.wait()


WORKER = textwrap.dedent("""
    import json
    import sys
    from discogan.runtime.tf_compat import v1
    v1.disable_eager_execution()
    from discogan.training.discogan import DiscoGAN

    class EveryWorkerSaves(DiscoGAN):  # the weights each worker ends with, for the test to compare
        def save_model(self, step):
            return self.checkpoints.saver.save(self.sess, f"{sys.argv[2]}/w", step, write_meta_graph=False)

    EveryWorkerSaves(sys.argv[1], **json.loads(sys.argv[3])).train_network()
""")
WORKERS_SECONDS = 180  # a run of both workers, many times what it takes here: a hang fails instead of waiting
# How long the chief waits for a killed worker when its death does not reset the connection at once: enough for
# the other worker to build its graph, which the first step waits for.
WORKER_TIMEOUT = 30


def run_flags(folder, **flags):
    """The flags of a small multi-worker run writing in `folder`."""
    return {**SMALL, "batch_size": 4, "seed": 0, "print_freq": 0, "save_freq": 0, "precision": "float32",
            "worker_timeout": 60, **{key: str(folder / key) for key in ("checkpoint_dir", "sample_dir", "log_dir")},
            **flags}


def test_a_dead_worker_ends_the_run_in_one_line_and_the_workers_resume_alike(tiny_dataset, tmp_path):
    """Two worker processes on localhost (MultiWorkerMirroredStrategy from TF_CONFIG), from the command line:
    killing one mid-run ends the chief with one line naming the checkpoint it saved, instead of hanging. Started
    again, the chief resumes from it, gives its weights to the other worker, and both end with the same weights;
    only the chief writes the run's folders."""
    chief_folder = tmp_path / "chief"
    flags = run_flags(chief_folder, epochs=1000, worker_timeout=WORKER_TIMEOUT)
    command = [sys.executable, "-m", "discogan.train", "process_main", "--dataset_dir", str(tiny_dataset),
               "--multi_worker", *[f"--{flag}={value}" for flag, value in flags.items()]]
    with workers(lambda task: command, tmp_path / "killed") as (chief, other):
        deadline = time.monotonic() + WORKERS_SECONDS
        while "Epoch:" not in chief.output():
            assert chief.poll() is None and time.monotonic() < deadline, chief.output()
            time.sleep(0.2)
        other.kill()
        chief.wait(timeout=max(1.0, deadline - time.monotonic()))
    last = chief.output().strip().splitlines()[-1]
    assert chief.returncode == 1 and last.startswith("error: a worker stopped answering at step "), chief.output()
    assert "Graph execution error" not in last, last  # the reason, not TensorFlow's preamble
    run_folder = chief_folder / "checkpoint_dir" / tiny_dataset.name
    saved = int(tf.train.latest_checkpoint(str(run_folder)).rsplit("-", 1)[1])
    assert f"saved step {saved} in {run_folder}" in last and (run_folder / "config.json").is_file()

    epochs = saved // 2 + 1  # two iterations per epoch: to the end of the epoch it stopped in
    folders = [chief_folder, tmp_path / "other"]
    with workers(lambda task: [sys.executable, "-c", WORKER, str(tiny_dataset), str(tmp_path / f"weights{task}"),
                               json.dumps(run_flags(folders[task], multi_worker=True, epochs=epochs))],
                 tmp_path / "resumed") as started:
        deadline = time.monotonic() + WORKERS_SECONDS
        for worker in started:
            worker.wait(timeout=max(1.0, deadline - time.monotonic()))
    outputs = [worker.output() for worker in started]
    assert [worker.returncode for worker in started] == [0, 0] and "resumed from" in outputs[0], outputs
    weights = [tf.train.load_checkpoint(str(tmp_path / f"weights{task}" / f"w-{2 * epochs}")) for task in range(2)]
    names = weights[0].get_variable_to_shape_map()
    assert names == weights[1].get_variable_to_shape_map()
    for name in names:
        if name.startswith("image_pool"):  # each worker pools its own fakes
            continue
        if name.endswith(("moving_mean", "moving_variance")):  # each worker sums the replicas' means in its order
            np.testing.assert_allclose(weights[0].get_tensor(name), weights[1].get_tensor(name), atol=1e-6,
                                       err_msg=name)
        else:
            np.testing.assert_array_equal(weights[0].get_tensor(name), weights[1].get_tensor(name), err_msg=name)
    assert not (tmp_path / "other").exists()

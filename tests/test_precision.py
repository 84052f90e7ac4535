"""Mixed precision (--precision): the choice per hardware, the rewrite it switches on, and checkpoints that stay
float32, so a run written in one precision restores, resumes and translates in another."""
import json

import numpy as np
import pytest

from discogan.data.image_io import load_rgb
from discogan.gan.train_step import BRANCHES, training_session_config
from discogan.inference.translator import Translator
from discogan.options.config import TrainConfig
from discogan.runs.checkpoint import CONFIG_FILE
from discogan.runtime import precision
from discogan.runtime.session import cpu_cores, session_config, thread_pools
from discogan.runtime.tf_compat import tf, v1
from discogan.train import process_main

V100, GTX_1080 = ("Tesla V100", (7, 0)), ("GeForce GTX 1080", (6, 1))


@pytest.mark.parametrize("flags, gpus, expected", [
    (["avx512_bf16"], [], "bfloat16"),
    (["amx_bf16"], [], "bfloat16"),
    ([], [], "float32"),
    (["avx512_bf16"], [V100], "float16"),
    ([], [GTX_1080], "float32"),
])
def test_auto_follows_the_hardware(flags, gpus, expected):
    chosen, reason = precision.choose("auto", flags, gpus)
    assert chosen == expected
    assert reason.startswith("auto: ")


def test_explicit_choice_wins_and_says_when_bfloat16_is_not_native():
    assert precision.choose("float32", ["avx512_bf16"], [V100]) == ("float32", "as asked")
    chosen, reason = precision.choose("bfloat16", [], [])
    assert chosen == "bfloat16" and "no native bfloat16" in reason


def test_float16_without_a_gpu_and_unknown_precisions_are_refused():
    with pytest.raises(ValueError, match="--precision float16 needs an NVIDIA GPU"):
        precision.choose("float16", ["avx512_bf16"], [])
    with pytest.raises(ValueError, match="--precision must be one of auto, float32, bfloat16, float16"):
        TrainConfig(precision="half")


def test_cpu_flags_are_read_from_cpuinfo(tmp_path):
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text("flags\t\t: fpu sse2 avx512f avx512_bf16 avx512_vnni\n")
    assert precision.cpu_bfloat16_flags(cpuinfo) == ["avx512_bf16"]
    cpuinfo.write_text("flags\t\t: fpu sse2 avx2\n")
    assert precision.cpu_bfloat16_flags(cpuinfo) == []
    assert precision.cpu_bfloat16_flags(tmp_path / "missing") == []


def test_session_options_switch_on_exactly_the_rewrite_asked_for():
    on = type(session_config().graph_options.rewrite_options).ON
    for chosen, field in (("float32", None), ("bfloat16", "auto_mixed_precision_onednn_bfloat16"),
                          ("float16", "auto_mixed_precision")):
        rewrites = session_config(chosen).graph_options.rewrite_options
        switched_on = {name for name in ("auto_mixed_precision", "auto_mixed_precision_onednn_bfloat16",
                                         "auto_mixed_precision_cpu") if getattr(rewrites, name) == on}
        assert switched_on == ({field} if field else set())


@pytest.mark.parametrize("branches, cores, has_gpu, pools", [
    (2, 2, False, (1, 2)),  # each direction of the cycle on a core of its own
    (2, 16, False, (8, 2)),
    (2, 3, False, (0, 0)),  # cores that do not divide among the branches: TensorFlow's choice
    (2, 1, False, (0, 0)),
    (2, 8, True, (0, 0)),  # a GPU runs the ops
    (1, 8, False, (0, 0)),  # inference: one chain
])
def test_thread_pools_give_each_branch_of_the_step_its_share_of_the_cores(branches, cores, has_gpu, pools):
    assert thread_pools(branches, cores, has_gpu) == pools


def test_training_sessions_size_their_pools_for_both_directions_and_inference_keeps_the_default():
    training = training_session_config("float32")
    assert (training.intra_op_parallelism_threads, training.inter_op_parallelism_threads) == thread_pools(
        BRANCHES, cpu_cores(), bool(precision.gpus()))
    inference = session_config()
    assert (inference.intra_op_parallelism_threads, inference.inter_op_parallelism_threads) == (0, 0)


def bfloat16_ops(chosen):
    """How many ops of a small generator's optimised graph compute in bfloat16 under session_config(chosen)."""
    from discogan.gan import networks
    graph = tf.Graph()
    with graph.as_default():
        x = v1.placeholder(tf.float32, [2, 16, 16, 3])
        y = networks.build_generator(x, "AtoB", networks.Architecture(16, 4, 4), training=True)
        initialise = v1.global_variables_initializer()
    with v1.Session(graph=graph, config=session_config(chosen)) as session:
        session.run(initialise)
        metadata = v1.RunMetadata()
        session.run(y, {x: np.zeros((2, 16, 16, 3), np.float32)},
                    options=v1.RunOptions(output_partition_graphs=True), run_metadata=metadata)
    return sum(node.attr[key].type == tf.bfloat16.as_datatype_enum for graph_def in metadata.partition_graphs
               for node in graph_def.node for key in ("T", "DstT") if key in node.attr)


def skip_without_native_bfloat16():
    if not precision.cpu_bfloat16_flags():
        pytest.skip("this processor has no native bfloat16 (avx512_bf16, amx_bf16): TensorFlow may skip the rewrite")


def test_the_bfloat16_rewrite_reaches_the_optimised_graph():
    skip_without_native_bfloat16()
    assert bfloat16_ops("float32") == 0
    assert bfloat16_ops("bfloat16") > 10


def train_losses(chosen_for_graph, chosen_for_session, iterations=6):
    """(g_loss, d_loss) of each of `iterations` book-recipe iterations of a small model on fixed random images."""
    from discogan.gan.train_step import build_train_step
    graph = tf.Graph()
    with graph.as_default():
        v1.set_random_seed(0)
        images = np.random.default_rng(0).uniform(-1, 1, (2, 4, 16, 16, 3)).astype(np.float32)
        x_a, x_b = tf.constant(images[0]), tf.constant(images[1])
        config = TrainConfig(image_size=16, load_size=16, fine_size=16, gf=8, df=8, batch_size=4, pool_size=0)
        step = build_train_step(x_a, x_b, 2e-4, v1.train.get_or_create_global_step(), config, chosen_for_graph)
        initialise = v1.global_variables_initializer()
    with v1.Session(graph=graph, config=session_config(chosen_for_session)) as session:
        session.run(initialise)
        return np.array([session.run([step.d_train, step.losses["g_loss"], step.losses["d_loss"]])[1:]
                         for _ in range(iterations)])


def test_bfloat16_training_stays_finite_and_close_to_float32():
    skip_without_native_bfloat16()
    float32, bfloat16 = train_losses("float32", "float32"), train_losses("bfloat16", "bfloat16")
    assert np.isfinite(bfloat16).all()
    assert not np.array_equal(float32, bfloat16)  # the rewrite changed the arithmetic ...
    np.testing.assert_allclose(bfloat16, float32, rtol=0.05)  # ... by bfloat16's rounding, not more


def test_float16_loss_scaling_leaves_the_gradients_unchanged():
    """Without the GPU rewrite the float16 graph computes in float32: scaling the loss by a power of two and the
    gradients back is exact, so its losses equal float32's."""
    np.testing.assert_allclose(train_losses("float16", "float32"), train_losses("float32", "float32"), rtol=1e-5)


@pytest.fixture(scope="module")
def bfloat16_run(tiny_dataset, tmp_path_factory):
    skip_without_native_bfloat16()
    work = tmp_path_factory.mktemp("bfloat16")
    folders = {name: str(work / name) for name in ("checkpoint_dir", "sample_dir", "log_dir")}
    options = {"epochs": 2, "batch_size": 2, "gf": 8, "df": 8, "seed": 0, "save_freq": 100, "print_freq": 100,
               **folders}
    step = process_main(dataset_dir=str(tiny_dataset), precision="bfloat16", **options)
    return step, options, work / "checkpoint_dir" / tiny_dataset.name


def test_a_bfloat16_checkpoint_holds_float32_and_translates_in_float32(bfloat16_run, tiny_dataset):
    _, _, checkpoint_dir = bfloat16_run
    assert json.loads((checkpoint_dir / CONFIG_FILE).read_text())["precision_used"] == "bfloat16"
    reader = v1.train.load_checkpoint(str(checkpoint_dir))
    dtypes = reader.get_variable_to_dtype_map()
    assert {dtypes[name] for name in dtypes if not name.startswith(("global_step", "image_pool_"))} == {tf.float32}
    sketch = load_rgb(sorted((tiny_dataset / "valA").iterdir())[0])
    with Translator.from_checkpoint(checkpoint_dir) as translator:
        bag = translator.translate([sketch])
    assert bag.shape == (1, 64, 64, 3)


def test_a_bfloat16_run_resumes_in_float32_and_in_float16(bfloat16_run, tiny_dataset, monkeypatch, capsys):
    step, options, _ = bfloat16_run
    capsys.readouterr()
    assert process_main(dataset_dir=str(tiny_dataset), precision="float32", **{**options, "epochs": 3}) > step
    output = capsys.readouterr().out
    assert "resumed from" in output and "precision float32 (as asked)" in output
    # float16 needs a GPU to be chosen; with its choice forced, its loss scale, absent from this checkpoint,
    # starts afresh (the CUDA rewrite does nothing on a CPU, so the run itself is float32 arithmetic).
    monkeypatch.setattr("discogan.training.discogan.choose", lambda requested: ("float16", "forced by the test"))
    assert process_main(dataset_dir=str(tiny_dataset), **{**options, "epochs": 4}) > step
    assert "the float16 loss scale starts afresh" in capsys.readouterr().out

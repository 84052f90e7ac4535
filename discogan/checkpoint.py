"""Where a run keeps its checkpoints, and the config.json beside them that lets other commands rebuild the graph."""
import json
import re
from pathlib import Path

from discogan.tf_compat import tf


CONFIG_FILE = "config.json"
MODEL_NAME = "DiscoGAN.model"


def save_config(checkpoint_dir, config):
    """Record what the networks need to be rebuilt (image size, widths) beside the checkpoints."""
    path = Path(checkpoint_dir) / CONFIG_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".json.tmp")
    try:
        temporary.write_text(json.dumps(config, indent=2, sort_keys=True) + "\n")
        temporary.replace(path)
    finally:
        temporary.unlink(missing_ok=True)  # left only when the write failed (full disk)


def load_config(checkpoint_dir):
    path = Path(checkpoint_dir) / CONFIG_FILE
    if not path.is_file():
        raise FileNotFoundError(f"{path} not found: {checkpoint_dir} is not a discogan checkpoint folder")
    return json.loads(path.read_text())


def latest_checkpoint(checkpoint_dir):
    """The newest checkpoint prefix in `checkpoint_dir`, or None when there is none."""
    if not Path(checkpoint_dir).is_dir():
        return None
    return tf.train.latest_checkpoint(str(checkpoint_dir))


def checkpoint_prefixes(checkpoint_dir):
    """Every checkpoint prefix on disk in `checkpoint_dir`, oldest step first.

    The `checkpoint` state file lists only what the last run's Saver kept; the files themselves are the truth.
    """
    steps = {}
    for index in Path(checkpoint_dir).glob(f"{MODEL_NAME}-*.index"):
        found = re.fullmatch(rf"{re.escape(MODEL_NAME)}-(\d+)\.index", index.name)
        if found:
            steps[int(found.group(1))] = str(index.with_suffix(""))
    return [steps[step] for step in sorted(steps)]


def checkpoint_damage(prefix):
    """Why the checkpoint at `prefix` cannot be read back (a truncated or corrupted file), or None if it can.

    Reads every tensor, so it is for telling damage from other restore failures, not for routine checks.
    """
    try:
        reader = tf.train.load_checkpoint(prefix)
        for name in reader.get_variable_to_shape_map():
            reader.get_tensor(name)
    except (tf.errors.OpError, IndexError) as error:  # a truncated .data file raises IndexError
        return str(error)
    return None


def remove_checkpoint(prefix):
    """Delete the files of the checkpoint at `prefix` (index, data shards, meta graph, a save's temporaries)."""
    for path in Path(prefix).parent.glob(f"{Path(prefix).name}.*"):
        path.unlink()


def remove_failed_save(checkpoint_dir, step):
    """Delete what a save of `step` that failed part-way left behind, so no half-written checkpoint remains."""
    remove_checkpoint(Path(checkpoint_dir) / f"{MODEL_NAME}-{step}")
    for temporary in Path(checkpoint_dir).glob("checkpoint.tmp*"):  # the state file's unfinished update
        temporary.unlink()


def failure_reason(error):
    """The one line that says why a file operation failed (TensorFlow wraps it in a page of graph trace)."""
    if isinstance(error, OSError):
        return error.strerror or str(error)
    found = re.search(r"; ([^;\n]+)$", error.message, re.MULTILINE)  # "<path>; No space left on device"
    return found.group(1) if found else error.message.splitlines()[0]


def resolve_checkpoint(path):
    """(checkpoint folder, checkpoint prefix, its config.json) from a folder (its latest checkpoint) or a prefix."""
    path = Path(path)
    if path.is_dir():
        prefix = latest_checkpoint(path)
        if prefix is None:
            raise FileNotFoundError(f"no checkpoint in {path}: train a model first or pass its checkpoint folder")
        return path, prefix, load_config(path)
    if Path(f"{path}.index").is_file():
        return path.parent, str(path), load_config(path.parent)
    raise FileNotFoundError(f"checkpoint not found: {path}")


def variable_shapes(prefix):
    """{variable name: shape} of the checkpoint at `prefix`, read from its index without loading values."""
    return {name: list(shape) for name, shape in tf.train.list_variables(prefix)}


def variable_mismatches(saved, variables):
    """How checkpoint shapes `saved` differ from the graph `variables` they should restore, one line each.

    A Saver would fail with a long shape error, or silently skip a layer the graph lacks; this says which
    variables are missing, extra or shaped otherwise.
    """
    lines = []
    for variable in variables:
        name, shape = variable.op.name, variable.shape.as_list()
        if name not in saved:
            lines.append(f"{name} is missing from the checkpoint")
        elif saved[name] != shape:
            lines.append(f"{name} is {saved[name]} in the checkpoint, {shape} for config.json")
    names = {variable.op.name for variable in variables}
    scopes = tuple({name.split("/")[0] + "/" for name in names})
    for name in sorted(saved):  # a layer this model lacks would be dropped silently; optimiser slots are not layers
        if name.startswith(scopes) and name not in names and name.rsplit("/", 1)[0] not in saved:
            lines.append(f"{name} is in the checkpoint but not in this model (a checkpoint of another version?)")
    return lines

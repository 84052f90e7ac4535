"""Where a run keeps its checkpoints, and the config.json beside them that lets other commands rebuild the graph."""
import json
from pathlib import Path

import tensorflow as tf

CONFIG_FILE = "config.json"
MODEL_NAME = "DiscoGAN.model"


def save_config(checkpoint_dir, config):
    """Record what the networks need to be rebuilt (image size, widths) beside the checkpoints."""
    path = Path(checkpoint_dir) / CONFIG_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".json.tmp")
    temporary.write_text(json.dumps(config, indent=2, sort_keys=True) + "\n")
    temporary.replace(path)


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

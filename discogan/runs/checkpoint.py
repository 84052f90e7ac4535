"""Where a run keeps its checkpoints, and the config.json beside them that lets other commands rebuild the graph."""
import json
import re
import warnings
from pathlib import Path

from discogan.gan.networks import GENERATOR_SCOPE
from discogan.runtime.tf_compat import tf


CONFIG_FILE = "config.json"
MODEL_NAME = "DiscoGAN.model"
WIDTH_FIELDS = ("image_size", "gf", "df")  # the whole numbers of config.json that shape the networks


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
    """config.json of `checkpoint_dir`, refused in one line naming the file and field when it is damaged or edited
    into something the networks cannot be built from."""
    path = Path(checkpoint_dir) / CONFIG_FILE
    if not path.is_file():
        raise FileNotFoundError(f"{path} not found: {checkpoint_dir} is not a discogan checkpoint folder")
    try:
        record = json.loads(path.read_text())
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"{path} is not valid JSON ({error}): restore it from the training run") from error
    if not isinstance(record, dict):
        raise ValueError(f"{path} does not hold a JSON object of options: restore it from the training run")
    for field in WIDTH_FIELDS:
        value = record.get(field)
        if field not in record:
            raise ValueError(f"{path}: {field} is missing; it must be the whole number the model was trained with")
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{path}: {field} must be a whole number such as 64, got {json.dumps(value)}")
    if not isinstance(record.get("bottleneck", ""), str):
        raise ValueError(f"{path}: bottleneck must be a name such as \"code\", got {json.dumps(record['bottleneck'])}")
    return record


def run_record(checkpoint_dir):
    """config.json of the run behind a checkpoint folder or prefix; None for a SavedModel, which records no run."""
    folder = Path(checkpoint_dir) if Path(checkpoint_dir).is_dir() else Path(checkpoint_dir).parent
    return load_config(folder) if (folder / CONFIG_FILE).is_file() else None


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


def read_back(prefix, scope=""):
    """Read every tensor of the checkpoint at `prefix` whose name starts with `scope`, optimiser slots left out when
    a scope is given; a damaged file raises here (a truncated .data file raises IndexError)."""
    reader = tf.train.load_checkpoint(prefix)
    names = reader.get_variable_to_shape_map()
    for name in names:
        if name.startswith(scope) and not (scope and name.rsplit("/", 1)[0] in names):
            reader.get_tensor(name)


def checkpoint_damage(prefix):
    """Why the checkpoint at `prefix` cannot be read back (a truncated or corrupted file), or None if it can.

    Reads every tensor, so it is for telling damage from other restore failures, not for routine checks.
    """
    try:
        read_back(prefix)
    except (tf.errors.OpError, IndexError) as error:
        return str(error)
    return None


def restore_newest_intact(prefixes, restore, remedy):
    """Call `restore` on the first of `prefixes` (newest first) that reads back whole and return that prefix.

    A run killed mid-save or a full disk leaves the newest checkpoint truncated, and the one before it is still the
    user's work: training, translate, export, evaluate and the app all fall back to it, naming each damaged
    checkpoint and why. A failure that is not damage is raised; when every checkpoint is damaged, the error names
    them and ends with `remedy`.
    """
    damaged = []
    for prefix in prefixes:
        try:
            restore(prefix)
        except (tf.errors.OpError, IndexError):
            damage = checkpoint_damage(prefix)
            if damage is None:
                raise
            damaged.append(f"{prefix} is damaged ({damage})")
            continue
        if damaged:
            warnings.warn("; ".join(damaged) + f": using {prefix}, the newest checkpoint that reads back whole",
                          stacklevel=2)
        return prefix
    raise ValueError("; ".join(damaged) + f": {remedy}")


def remove_checkpoint(prefix):
    """Delete the files of the checkpoint at `prefix` (index, data shards, meta graph, a save's temporaries)."""
    for path in Path(prefix).parent.glob(f"{Path(prefix).name}.*"):
        path.unlink()


def remove_temporaries(checkpoint_dir):
    """Delete what saves killed part-way (kill -9, a power cut) left: TensorFlow's unfinished checkpoint files
    (`<prefix>.index.tempstate<n>`) and state file updates (`checkpoint.tmp<uuid>`), nothing else."""
    left = re.compile(rf"{re.escape(MODEL_NAME)}-\d+\.(index|data-\d+-of-\d+)\.tempstate\d+|checkpoint\.tmp[0-9a-f]{{32}}")
    for path in Path(checkpoint_dir).iterdir() if Path(checkpoint_dir).is_dir() else ():
        if left.fullmatch(path.name) and path.is_file():
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
    """(checkpoint folder, checkpoint prefix, its config.json) from a folder (its newest checkpoint whose generators
    read back whole) or a prefix (refused if they do not)."""
    path = Path(path)
    if path.is_dir():
        newest = checkpoint_prefixes(path)[::-1] or [prefix for prefix in [latest_checkpoint(path)] if prefix]
        if not newest:
            raise FileNotFoundError(f"no checkpoint in {path}: train a model first or pass its checkpoint folder")
        record = load_config(path)
        prefix = restore_newest_intact(newest, read_generators, f"no checkpoint in {path} reads back whole: train "
                                                                f"the model again")
        return path, prefix, record
    if Path(f"{path}.index").is_file():
        record = load_config(path.parent)
        restore_newest_intact([str(path)], read_generators, f"pass its folder, {path.parent}, to use the newest "
                                                            f"intact checkpoint there")
        return path.parent, str(path), record
    raise FileNotFoundError(f"checkpoint not found: {path}")


def read_generators(prefix):
    """Read back the generator variables of the checkpoint at `prefix`: all that inference needs intact."""
    read_back(prefix, GENERATOR_SCOPE)


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

"""Export a trained model as a TensorFlow SavedModel for TF Serving and plain TF2.

    python -m discogan.export --checkpoint_dir checkpoint/edges2handbags --export_dir export/edges2handbags

Signatures `a2b` and `b2a` take uint8 images [N, H, W, 3] of any size under the input key `images` and return
uint8 [N, size, size, 3] translations under `images`. TF Serving serves EXPORT_DIR/<version>/, so the model goes
to EXPORT_DIR/1 (--version for another).
"""
from pathlib import Path

from discogan.data.output_folders import staged_outputs
from discogan.gan import networks
from discogan.inference.translator import IMAGES_KEY, SIGNATURES, build_translation, restore_generators
from discogan.options.config import check_whole
from discogan.runs import checkpoint
from discogan.runtime.session import session_config
from discogan.runtime.tf_compat import tf, v1
from discogan.util.cli import run


def export(checkpoint_dir, export_dir, version=1, overwrite=False):
    """Write the SavedModel to EXPORT_DIR/VERSION and return that folder.

    Args:
      checkpoint_dir: a checkpoint folder (its latest checkpoint) or a checkpoint prefix.
      export_dir: the model's base folder, as TF Serving's --model_base_path.
      version: the version sub-folder, a whole number (TF Serving serves the highest).
      overwrite: replace an existing export of this version instead of refusing (output_folders.check_outputs).
    """
    check_whole("version", version, minimum=0)
    target = Path(export_dir) / str(int(version))
    if Path(export_dir).exists() and not Path(export_dir).is_dir():
        raise NotADirectoryError(f"--export_dir {export_dir} is a file, not a folder")
    folder, prefix, record = checkpoint.resolve_checkpoint(checkpoint_dir)
    graph = tf.Graph()
    with graph.as_default():
        signatures = {}
        for direction, name in SIGNATURES.items():
            images = v1.placeholder(tf.uint8, [None, None, None, 3], f"{name}_{IMAGES_KEY}")
            translated = build_translation(images, direction, networks.Architecture.of(record))
            signatures[name] = v1.saved_model.predict_signature_def({IMAGES_KEY: images}, {IMAGES_KEY: translated})
    # Staged and swapped in, so a failed export never leaves half a model to be served.
    with staged_outputs([target], overwrite, inputs=[folder]) as (staging,), \
            v1.Session(graph=graph, config=session_config()) as session:
        restore_generators(session, folder, prefix, record)
        save_saved_model(session, signatures, staging)
    print(f"exported {prefix} to {target} (signatures {', '.join(SIGNATURES.values())})")
    return target


def save_saved_model(session, signatures, folder):
    """Write the session's graph and variables as a SavedModel to `folder`; a folder that cannot be written (read-only,
    a full disk) is one line naming it, not TensorFlow's page of graph trace."""
    try:
        builder = v1.saved_model.Builder(str(folder))
        builder.add_meta_graph_and_variables(session, [v1.saved_model.tag_constants.SERVING],
                                             signature_def_map=signatures, strip_default_attrs=True)
        builder.save()
    except tf.errors.OpError as error:
        raise OSError(f"could not write the SavedModel into {folder.parent}: {checkpoint.failure_reason(error)}") \
            from error


if __name__ == "__main__":
    run(export)

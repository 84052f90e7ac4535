"""Inference: the generators in inference mode, restored from a checkpoint or a SavedModel.

One place builds the translation graph (`build_translation`, also what discogan.export saves) and the
A->B->A / B->A->B cycle (`CycleModel`, what evaluation scores); the architecture always comes from the run's
config.json, so a generator variant needs nothing here. translate, export, evaluate and the web app call this.
"""
from pathlib import Path

import numpy as np

from discogan.data import pipeline
from discogan.data.image_io import resize_lanczos, thicken_lines
from discogan.gan import networks
from discogan.gan.weight_average import averaged_name, generator_variables, has_averages
from discogan.runs import checkpoint
from discogan.runtime.session import session_config
from discogan.runtime.tf_compat import tf, v1


SIGNATURES = {"AtoB": "a2b", "BtoA": "b2a"}  # the SavedModel's signature per direction
IMAGES_KEY = "images"  # the signatures' input and output name
SAVED_MODEL_FILE = "saved_model.pb"
SKETCH_SCALE = 4  # training sketches are thickened at pix2pix size: 256 pixels for a 64 model


def check_direction(direction):
    if direction not in networks.GENERATOR_SCOPES:
        raise ValueError(f"--direction must be AtoB or BtoA, got {direction!r}")


def build_translation(images, direction, architecture):
    """uint8 [N, H, W, 3] images of any size to uint8 [N, size, size, 3] translations, batch norm in inference mode.

    The same graph serves checkpoint inference and the SavedModel, so both give the same pixels.
    """
    check_direction(direction)
    x = pipeline.to_model_range(pipeline.resize_images(images, architecture.image_size))
    translated = networks.build_generator(x, direction, architecture, training=False)
    return pipeline.from_model_range(translated)


def restore_generators(session, folder, prefix, record, averaged=True):
    """Restore the graph's generator variables from checkpoint `prefix`, after checking they fit config.json's
    `record`; the rest of the checkpoint (discriminators, optimiser slots) is not read.

    A run trained with --ema_decay holds averaged weights beside the last ones: those are restored unless
    `averaged` is False (the last weights, which evaluation scores beside them).
    """
    variables = generator_variables(session.graph.get_collection(v1.GraphKeys.GLOBAL_VARIABLES))
    saved = checkpoint.variable_shapes(prefix)
    mismatches = checkpoint.variable_mismatches(saved, variables)
    if mismatches:
        architecture = networks.Architecture.of(record)
        raise ValueError(f"checkpoint {prefix} does not match {Path(folder) / checkpoint.CONFIG_FILE} "
                         f"(image_size {architecture.image_size}, gf {architecture.gf}, bottleneck "
                         f"{architecture.bottleneck}): " + "; ".join(mismatches[:3])
                         + (" ..." if len(mismatches) > 3 else ""))
    names = {v.op.name: v for v in variables}
    if averaged and has_averages(saved):
        names = {averaged_name(name): variable for name, variable in names.items()}
    with session.graph.as_default():
        v1.train.Saver(names).restore(session, prefix)


def find_saved_model(path):
    """The SavedModel folder at `path` or its highest numbered version sub-folder (TF Serving's layout), else None."""
    path = Path(path)
    if (path / SAVED_MODEL_FILE).is_file():
        return path
    versions = [p.parent for p in path.glob(f"*/{SAVED_MODEL_FILE}") if p.parent.name.isdigit()]
    return max(versions, key=lambda p: int(p.name)) if versions else None


class Translator:
    """A translation graph and its session: `translate(images)` maps uint8 images to the other domain.

    Make one with `from_checkpoint` or `from_saved_model` (the benchmark passes its own session); close it, or
    use it in a `with` block, to free the session.
    """

    def __init__(self, session, images, translated):
        self.session, self.images, self.translated = session, images, translated
        self.image_size = int(translated.shape[1])
        with session.graph.as_default():
            self._image = v1.placeholder(tf.uint8, [None, None, 3], "resize_input")
            self._resized = pipeline.resize_images(self._image, self.image_size)

    @classmethod
    def from_checkpoint(cls, checkpoint_path, direction="AtoB"):
        """Generator `direction` of a checkpoint folder (its latest checkpoint) or checkpoint prefix."""
        check_direction(direction)
        folder, prefix, record = checkpoint.resolve_checkpoint(checkpoint_path)
        graph = tf.Graph()
        with graph.as_default():
            images = v1.placeholder(tf.uint8, [None, None, None, 3], IMAGES_KEY)
            translated = build_translation(images, direction, networks.Architecture.of(record))
        session = v1.Session(graph=graph, config=session_config())
        try:
            restore_generators(session, folder, prefix, record)
        except BaseException:
            session.close()
            raise
        return cls(session, images, translated)

    @classmethod
    def from_saved_model(cls, path, direction="AtoB"):
        """Signature a2b or b2a of a SavedModel written by discogan.export (its folder or the version's)."""
        check_direction(direction)
        export_dir = find_saved_model(path)
        if export_dir is None:
            raise FileNotFoundError(f"no {SAVED_MODEL_FILE} in {path} or its version sub-folders")
        session = v1.Session(graph=tf.Graph(), config=session_config())
        with session.graph.as_default():
            meta_graph = v1.saved_model.loader.load(session, [v1.saved_model.tag_constants.SERVING], str(export_dir))
        signature = meta_graph.signature_def[SIGNATURES[direction]]
        return cls(session, session.graph.get_tensor_by_name(signature.inputs[IMAGES_KEY].name),
                   session.graph.get_tensor_by_name(signature.outputs[IMAGES_KEY].name))

    def resize(self, image):
        """One HxWx3 uint8 image at the model's size, resized as in training."""
        if image.shape[:2] == (self.image_size, self.image_size):
            return image
        return self.session.run(self._resized, {self._image: image})

    def prepare(self, image, thicken_sketch=False):
        """One HxWx3 uint8 image as the model's input, prepared like the training data.

        thicken_sketch scales the image to SKETCH_SCALE times the model's size and thickens its lines there, as
        image_split --thicken_sketch does to the pix2pix sketches, before the usual resize.
        """
        if thicken_sketch:
            image = thicken_lines(resize_lanczos(image, SKETCH_SCALE * self.image_size))
        return self.resize(image)

    def translate(self, images):
        """uint8 images ([N, H, W, 3], or a list of HxWx3 of any sizes) to uint8 [N, size, size, 3].

        Batch norm uses its moving averages, so an image's result does not depend on the rest of the batch.
        """
        if not (isinstance(images, np.ndarray) and images.ndim == 4):
            images = np.stack([self.resize(np.asarray(image)) for image in images])
        return self.session.run(self.translated, {self.images: images})

    def close(self):
        self.session.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def open_translator(checkpoint_dir=None, saved_model=None, direction="AtoB"):
    """A Translator from --saved_model, or from --checkpoint_dir (a SavedModel there is used as one)."""
    if saved_model is not None:
        return Translator.from_saved_model(saved_model, direction)
    if checkpoint_dir is None:
        raise ValueError("--checkpoint_dir (a checkpoint folder or prefix) or --saved_model is required")
    if Path(checkpoint_dir).is_dir() and find_saved_model(checkpoint_dir):
        return Translator.from_saved_model(checkpoint_dir, direction)
    return Translator.from_checkpoint(checkpoint_dir, direction)


class CycleModel:
    """Both generators in inference mode in one session: `run(a, b)` gives A->B, A->B->A, B->A, B->A->B.

    With a checkpoint prefix the generators are restored (`averaged`: as in `restore_generators`); without one
    they keep their seeded initial values (the untrained reference of evaluation).
    """

    def __init__(self, architecture, checkpoint_prefix=None, checkpoint_folder=None, record=None, seed=0,
                 averaged=True):
        graph = tf.Graph()
        with graph.as_default():
            v1.set_random_seed(seed)
            shape = [None, architecture.image_size, architecture.image_size, 3]
            self.x_a, self.x_b = v1.placeholder(tf.float32, shape), v1.placeholder(tf.float32, shape)
            self.outputs, _ = networks.build_cycle(self.x_a, self.x_b, architecture, training=False)
            initialise = v1.global_variables_initializer()
        self.session = v1.Session(graph=graph, config=session_config())
        self.session.run(initialise)
        if checkpoint_prefix:
            restore_generators(self.session, checkpoint_folder, checkpoint_prefix, record, averaged)

    def run(self, images_a, images_b):
        return self.session.run(self.outputs, {self.x_a: images_a, self.x_b: images_b})

    def close(self):
        self.session.close()

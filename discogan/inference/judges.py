"""Judges: small classifiers trained in seconds on a split's own training images, to read translations as a
person would: does this shoe read as a shoe (the domain judge), does it wear its bag's print (the print judge)?

The pixel and colour scores cannot see either: a bag-shaped blob in shoe colours, or a plain shoe of a checked
bag's colour, scores well on both. A judge is only as good as its accuracy on real held-out images, which the
scores report beside each share. The network is deliberately small (three strided convolutions, global pooling)
so that training it costs seconds on a CPU; it sees flips and small shifts, so that it judges the print and the
object, not where on the page they are.
"""
import numpy as np

from discogan.runtime.tf_compat import tf, v1

WIDTHS = (24, 48, 64)
KERNELS = (5, 3, 3)
STEPS = 600
DOMAIN_STEPS = 200  # telling the domains apart is easier than naming a print: fewer steps do
BATCH = 32
EPOCHS = 20  # at most this many passes over a small training set (a test's): more steps would only memorise it
MAX_SHIFT = 4  # pixels a training image moves at random, each way


def _classifier(images, classes, training):
    """Logits [N, classes] of [-1, 1] images: strided conv + ReLU layers, then global mean and max pooling."""
    x = images
    for index, (width, kernel) in enumerate(zip(WIDTHS, KERNELS)):
        with v1.variable_scope(f"conv{index}", reuse=not training):
            weights = v1.get_variable("w", [kernel, kernel, x.shape[-1], width],
                                      initializer=v1.initializers.he_normal())
            bias = v1.get_variable("b", [width], initializer=v1.zeros_initializer())
            x = tf.nn.relu(tf.nn.conv2d(x, weights, 2, "SAME") + bias)
    pooled = tf.concat([tf.reduce_mean(x, axis=[1, 2]), tf.reduce_max(x, axis=[1, 2])], axis=1)
    with v1.variable_scope("logits", reuse=not training):
        weights = v1.get_variable("w", [pooled.shape[-1], classes], initializer=v1.initializers.glorot_uniform())
        bias = v1.get_variable("b", [classes], initializer=v1.zeros_initializer())
    return tf.matmul(pooled, weights) + bias


def jittered(images, rng):
    """Each image flipped left-right at random and shifted by up to MAX_SHIFT pixels each way, white coming in."""
    size = images.shape[1]
    padded = np.pad(images, [(0, 0), (MAX_SHIFT, MAX_SHIFT), (MAX_SHIFT, MAX_SHIFT), (0, 0)], constant_values=1.0)
    rows, columns = rng.integers(0, 2 * MAX_SHIFT + 1, (2, len(images)))
    shifted = np.stack([image[row:row + size, column:column + size]
                        for image, row, column in zip(padded, rows, columns)])
    flips = rng.random(len(images)) < 0.5
    shifted[flips] = shifted[flips, :, ::-1]
    return shifted


class Judge:
    """A classifier of [-1, 1] images into `classes` (names), trained at construction on `images` with the
    class names `labels`; `predict` gives class indices, `share` the share of images judged as given names."""

    def __init__(self, images, labels, classes, seed=0, steps=STEPS):
        self.classes = list(classes)
        targets = np.array([self.classes.index(label) for label in labels])
        self.graph = tf.Graph()
        with self.graph.as_default():
            v1.set_random_seed(seed)
            batch_images = v1.placeholder(tf.float32, [None, *images.shape[1:]])
            batch_labels = v1.placeholder(tf.int32, [None])
            logits = _classifier(batch_images, len(self.classes), training=True)
            loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=batch_labels, logits=logits))
            train = v1.train.AdamOptimizer(2e-3).minimize(loss)
            self.inputs = v1.placeholder(tf.float32, [None, *images.shape[1:]])
            self.predictions = tf.argmax(_classifier(self.inputs, len(self.classes), training=False), axis=1)
            self.session = v1.Session(graph=self.graph)
            self.session.run(v1.global_variables_initializer())
        rng = np.random.default_rng(seed)
        for _ in range(min(steps, EPOCHS * len(images) // BATCH + 1)):
            chosen = rng.integers(0, len(images), BATCH)
            self.session.run(train, {batch_images: jittered(images[chosen], rng), batch_labels: targets[chosen]})

    def predict(self, images, batch=256):
        """Class indices of `images`."""
        return np.concatenate([self.session.run(self.predictions, {self.inputs: images[i:i + batch]})
                               for i in range(0, len(images), batch)]) if len(images) else np.zeros(0, int)

    def names(self, images):
        """Class names of `images`."""
        return [self.classes[index] for index in self.predict(images)]

    def agreement(self, images, labels):
        """Share of `images` judged as their `labels` (one name for all, or one per image)."""
        labels = [labels] * len(images) if isinstance(labels, str) else list(labels)
        return float(np.mean([judged == label for judged, label in zip(self.names(images), labels)]))

    def close(self):
        self.session.close()


DOMAIN_KEYS = ("target_domain", "domain_judge_accuracy")
PRINT_KEYS = ("print_kept", "print_judge_accuracy")
KEYS = (*DOMAIN_KEYS, *PRINT_KEYS)


class SplitJudges:
    """The judges of one split, with what they make of its real held-out images.

    The domain judge tells domain A from B (trained on trainA against trainB); the print judge, where the split
    records each image's print, names it (trained on both domains' training images). `held_out` holds the real
    held-out images of A and B in the order their translations come; `held_out_prints` their prints, or None.
    """

    def __init__(self, train_a, train_b, held_out, train_prints=None, held_out_prints=None, seed=0):
        self.domain = Judge(np.concatenate([train_a, train_b]), ["A"] * len(train_a) + ["B"] * len(train_b), "AB",
                            seed, DOMAIN_STEPS)
        self.domain_accuracy = {"A": self.domain.agreement(held_out[0], "A"),
                                "B": self.domain.agreement(held_out[1], "B")}
        self.prints = self.held_out_prints = None
        if train_prints is not None:
            self.prints = Judge(np.concatenate([train_a, train_b]), [*train_prints[0], *train_prints[1]],
                                sorted(set(train_prints[0]) | set(train_prints[1])), seed)
            self.held_out_prints = held_out_prints
            self.print_accuracy = {domain: self.prints.agreement(images, labels)
                                   for domain, images, labels in zip("AB", held_out, held_out_prints)}

    def scores(self, direction, translated):
        """{key: value} for the translations of `direction` ("a2b" or "b2a"), one per held-out input in order:
        the share judged as the target domain and, with prints, the share wearing their input's print, each beside
        the judge's accuracy on real held-out images of the target domain (None where there are no prints)."""
        source, target = ("A", "B") if direction == "a2b" else ("B", "A")
        found = {"target_domain": self.domain.agreement(translated, target),
                 "domain_judge_accuracy": self.domain_accuracy[target], **dict.fromkeys(PRINT_KEYS)}
        if self.prints is not None:
            found["print_kept"] = self.prints.agreement(translated, self.held_out_prints["AB".index(source)])
            found["print_judge_accuracy"] = self.print_accuracy[target]
        return found

    def close(self):
        for judge in (self.domain, self.prints):
            if judge is not None:
                judge.close()

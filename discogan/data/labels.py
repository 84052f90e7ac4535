"""What a dataset's drawing knows of each image beyond its pixels (the shoes demo: each image's print), recorded
beside its split folders so that evaluate can judge whether a translation keeps it."""
import json
from pathlib import Path

LABELS_FILE = "labels.json"  # beside trainA/...: {"print": {"trainA/0001.png": "stripes", ...}}


def read_labels(dataset_dir, kind):
    """{relative path: label} of `kind` (e.g. "print") that the dataset's drawing recorded, or {} without one."""
    path = Path(dataset_dir) / LABELS_FILE
    if not path.is_file():
        return {}
    try:
        labels = json.loads(path.read_text()).get(kind, {})
    except (ValueError, UnicodeDecodeError, AttributeError) as error:
        raise ValueError(f"{path} is not a labels file ({error}): remove it or draw the dataset again") from None
    return labels if isinstance(labels, dict) else {}


def write_labels(dataset_dir, labels):
    """Write {kind: {relative path: label}} as the dataset's LABELS_FILE."""
    (Path(dataset_dir) / LABELS_FILE).write_text(json.dumps(labels, sort_keys=True) + "\n")

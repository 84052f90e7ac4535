"""What a dataset folder holds, recorded beside its split as dataset.json, so that a run remembers its data.

image_split, make_unpaired and the demos write it: each domain's name as one image ("sketch", "handbag", "shoe"),
whether it holds sketches and whether their lines were thickened, and the images' size (None: as found). Training
copies it into config.json; translate, evaluate and the app prepare inputs and name the domains from it, whatever
the folder is called. A folder prepared before the record existed has none, and its name is all there is to go on.
"""
import json
import re
from pathlib import Path

RECORD_FILE = "dataset.json"
DOMAINS = ("A", "B")
SPLIT_FOLDER = re.compile(r"(?:train|val|test)([AB])")
# Dataset folder words as a page names one image: edges2handbags holds sketches and handbags.
SINGULAR_NAMES = {"edges": "sketch", "sketches": "sketch", "handbags": "handbag", "bags": "bag", "shoes": "shoe",
                  "photos": "photo", "faces": "face", "cars": "car", "chairs": "chair"}


def domain(name, sketch=False, thickened=False):
    """One domain's entry of the record."""
    return {"name": name, "sketch": sketch, "thickened": thickened}


def singular(word):
    return SINGULAR_NAMES.get(word.lower(), word)


def folder_names(folder):
    """(name of A, name of B) from a dataset folder's name, as edges2handbags gives sketch and handbag; None for a
    name of another form."""
    named = re.fullmatch(r"([a-z]+)2([a-z]+)", Path(folder).name, re.IGNORECASE)
    return tuple(singular(word) for word in named.groups()) if named else None


def write_record(folder, domain_a, domain_b, size):
    """Write folder/dataset.json: the record of the folder's newest preparation."""
    record = {"A": domain_a, "B": domain_b, "size": size}
    (Path(folder) / RECORD_FILE).write_text(json.dumps(record, indent=2) + "\n")


def read_record(folder):
    """The record of dataset `folder`, or None where there is none; a damaged one is refused naming the file."""
    path = Path(folder) / RECORD_FILE
    if not path.is_file():
        return None
    try:
        record = json.loads(path.read_text())
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"{path} is not valid JSON ({error}): delete it, or prepare the dataset again") from error
    if not (isinstance(record, dict) and all(isinstance(record.get(letter), dict)
                                             and isinstance(record[letter].get("name"), str) for letter in DOMAINS)):
        raise ValueError(f"{path} does not record domains A and B by name: delete it, or prepare the dataset again")
    return record


def source_domain(folder, name=None):
    """The entry of a domain copied from `folder`: the split folder of a recorded dataset keeps its record's
    (edges2handbags/trainB: handbag); else it is called `name`, or after the folder or its dataset's folder."""
    folder = Path(folder)
    split = SPLIT_FOLDER.fullmatch(folder.name)
    record = read_record(folder.parent) if split else None
    if record:
        return record[split.group(1)]
    if name is None and split:
        names = folder_names(folder.parent)
        name = names[DOMAINS.index(split.group(1))] if names else split.group(1)
    name = name or singular(folder.name)
    return domain(name, sketch=name == "sketch")


def run_domain(run, letter):
    """Domain `letter`'s entry in a run's config.json `run`, None for a run trained before datasets were
    recorded (or a SavedModel, which records no run)."""
    dataset = (run or {}).get("dataset")
    return dataset[letter] if dataset else None


def thickened(run, letter):
    """Whether a run learned from domain `letter` with its lines thickened (False when nothing is recorded)."""
    entry = run_domain(run, letter)
    return bool(entry and entry.get("thickened"))

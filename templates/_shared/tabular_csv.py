"""CSV handling shared by the tabular templates: params, the dataset file, reading cells.

Stdlib only (plus the workbench client), so a template keeps its own dependency check.
"""

import csv
import json
import os

import workbench as wb

# Cells read as missing (compared lower-cased, stripped).
MISSING = {"", "na", "n/a", "nan", "null", "none", "?", "-"}
# A target with at most this many distinct integer values is a classification target.
MAX_CLASSES_FOR_AUTO = 20


class UsageError(Exception):
    """A problem the user can fix (param, data): reported without a traceback."""


def load_params(template_dir):
    """WB_PARAMS over template.json's defaults; unknown params are reported, not fatal."""
    with open(os.path.join(template_dir, "template.json"), encoding="utf-8") as f:
        spec = json.load(f)["params"]
    try:
        given = wb.params()
    except ValueError as exc:
        raise UsageError(str(exc))
    unknown = sorted(set(given) - set(spec))
    if unknown:
        wb.log(
            "ignoring unknown param(s) %s (known: %s)" % (", ".join(unknown), ", ".join(spec)),
            "WARN",
        )
    params = {name: s.get("default") for name, s in spec.items()}
    params.update({k: v for k, v in given.items() if k in spec})
    return params


def as_int(name, value, minimum, maximum=None):
    try:
        number = int(value) if not isinstance(value, float) or value.is_integer() else None
    except (TypeError, ValueError, OverflowError):
        number = None
    if number is None or isinstance(value, bool) or number < minimum:
        raise UsageError("param %s must be an integer >= %d, got %r" % (name, minimum, value))
    if maximum is not None and number > maximum:
        # Past this the run would only fail later, with an allocator's traceback.
        raise UsageError("param %s must be at most %d, got %r" % (name, maximum, value))
    return number


def as_choice(name, value, choices):
    text = str(value).strip().lower()
    if text not in choices:
        raise UsageError("param %s must be one of %s, got %r" % (name, ", ".join(choices), value))
    return text


def dataset_file():
    """The CSV to read: WB_DATASET, a file (any name) or a folder holding one .csv."""
    try:
        path = wb.dataset_path()
    except KeyError as exc:
        raise UsageError(str(exc))
    if os.path.isdir(path):
        csvs = sorted(
            name
            for name in os.listdir(path)
            if name.lower().endswith(".csv") and os.path.isfile(os.path.join(path, name))
        )
        if len(csvs) != 1:
            raise UsageError(
                "the dataset folder %s must hold exactly one .csv file, found %s"
                % (path, ", ".join(csvs) if csvs else "none (files: %s)" % ", ".join(sorted(os.listdir(path))[:20]))
            )
        return os.path.join(path, csvs[0])
    if not os.path.isfile(path):
        raise UsageError("the dataset %s does not exist or is not a file" % path)
    return path


def read_csv(path):
    """Header + columns of strings. The delimiter is sniffed (comma, semicolon, tab, |)."""
    with open(path, newline="", encoding="utf-8-sig") as f:
        sample = f.read(65536)
        f.seek(0)
        try:
            dialect = csv.Sniffer().sniff(sample, delimiters=",;\t|")
        except csv.Error:
            dialect = csv.excel
        rows = [row for row in csv.reader(f, dialect) if any(cell.strip() for cell in row)]
    if not rows:
        raise UsageError("the dataset %s is empty" % path)
    header = [name.strip() for name in rows[0]]
    if any(not name for name in header) or len(set(header)) != len(header):
        raise UsageError("the CSV header must name every column once, got %r" % header)
    body = [row for row in rows[1:] if len(row) == len(header)]
    skipped = len(rows) - 1 - len(body)
    if skipped:
        wb.log("skipped %d row(s) whose number of cells differs from the header's" % skipped, "WARN")
    if not body:
        raise UsageError("the dataset %s has a header but no data rows" % path)
    columns = [[row[i].strip() for row in body] for i in range(len(header))]
    return header, columns


def is_missing(cell):
    return cell.lower() in MISSING

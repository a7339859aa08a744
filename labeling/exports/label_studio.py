"""Label Studio's task JSON, both ways, so a team can move its texts and images in and out.

Export: one task per item, `data` {"text": ...} or {"image": <URL>}, the resolved class as a
ground-truth annotation and the latest model's class as a prediction, both as a "choices"
result from "label" to "text"/"image", which matches this labeling config in Label Studio:

    <View><Text name="text" value="$text"/>
      <Choices name="label" toName="text"><Choice value="..."/></Choices></View>

Import: a JSON array of such tasks; for texts the text is data[text_column], for images the
file uploaded with the JSON that the task names (data["source_name"], else the last part of the
data["image"] URL). The class is the choice its annotations agree on (ground-truth annotations
first, then the majority of the others; a tie or none gives no class). Every task is checked
before anything is saved.
"""

import json
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlparse

from labeling.exceptions import InvalidImportError
from labeling.exports.rows import ExportRecord
from labeling.exports.tables import json_array
from labeling.readers import IMAGE_SUFFIXES, ImageRecord, TextRecord

FROM_NAME = "label"


def _choice(name: str, to_name: str) -> list[dict[str, Any]]:
    return [{"from_name": FROM_NAME, "to_name": to_name, "type": "choices", "value": {"choices": [name]}}]


def label_studio_tasks(records: Iterable[ExportRecord], *, base_url: str = "") -> Iterator[str]:
    """A JSON array of tasks, streamed; `base_url` makes image links absolute for Label Studio."""
    return json_array(_task(record.row, base_url) for record in records)


def _task(row: dict[str, Any], base_url: str) -> dict[str, Any]:
    to_name = "image" if row["image_url"] else "text"
    content = base_url + row["image_url"] if row["image_url"] else row["text"]
    data = {to_name: content, "source_name": row["source_name"]}
    task: dict[str, Any] = {
        "id": row["item_id"],
        "data": data,
        "annotations": [{"result": _choice(row["label"], to_name), "ground_truth": True}] if row["label"] else [],
        "meta": {"split": row["split"], "status": row["status"]},
    }
    if row.get("predicted"):
        task["predictions"] = [{"model_version": f"v{row['prediction_version']}", "score": row["probability"],
                                "result": _choice(row["predicted"], to_name)}]  # fmt: skip
    return task


def read_label_studio_tasks(path: Path, *, text_column: str = "text") -> list[TextRecord]:
    """Texts and classes from a Label Studio JSON export; InvalidImportError names the bad task."""
    records = []
    for number, task in enumerate(_load_tasks(path), start=1):
        data = task.get("data") if isinstance(task, dict) else None
        text = data.get(text_column) if isinstance(data, dict) else None
        if not isinstance(text, str) or not text.strip():
            raise InvalidImportError(f"{path.name} task {number} has no text in data[{text_column!r}]; "
                                     "nothing was imported.", {"task": number})  # fmt: skip
        source = str(data.get("source_name") or task.get("id") or f"task {number}")  # type: ignore[union-attr]
        records.append(TextRecord(text=text.strip(), class_name=_agreed_class(task, number), source_name=source))
    return records


def read_label_studio_images(path: Path, folder: Path) -> list[ImageRecord]:
    """Images and classes from a Label Studio JSON export uploaded with its image files.

    Label Studio's tasks name their images by URL; each task's file is data["source_name"] (what
    Tweezer's export writes) or the last part of data["image"], and must be among the uploaded
    files. A task whose file is missing, or an uploaded image no task names, stops the import.
    """
    files = {p.name: p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES}
    records, named = [], set()
    for number, task in enumerate(_load_tasks(path), start=1):
        data = task.get("data") if isinstance(task, dict) else None
        image = data.get("image") if isinstance(data, dict) else None
        name = str(data.get("source_name") or "") if isinstance(data, dict) else ""
        name = name or (PurePosixPath(urlparse(image).path).name if isinstance(image, str) else "")
        if not name:
            raise InvalidImportError(f"{path.name} task {number} names no image in data['image']; "
                                     "nothing was imported.", {"task": number})  # fmt: skip
        if name not in files:
            raise InvalidImportError(f"{path.name} task {number} needs the image {name!r}, which was not uploaded; "
                                     "upload it with the JSON file. Nothing was imported.",
                                     {"task": number, "image": name})  # fmt: skip
        named.add(name)
        records.append(ImageRecord(path=files[name], class_name=_agreed_class(task, number)))
    extra = sorted(set(files) - named)
    if extra:
        raise InvalidImportError(f"{len(extra)} uploaded image(s) are in no task of {path.name}, e.g. {extra[0]!r}; "
                                 "nothing was imported.", {"images": extra[:20]})  # fmt: skip
    return records


def _load_tasks(path: Path) -> list[Any]:
    """The JSON array of tasks in `path`; InvalidImportError for anything else."""
    try:
        with path.open(encoding="utf-8") as handle:
            tasks = json.load(handle)
    except UnicodeDecodeError as exc:
        raise InvalidImportError(f"{path.name} is not UTF-8 text ({exc.reason} at byte {exc.start}).",
                                 {"file": path.name}) from exc  # fmt: skip
    except json.JSONDecodeError as exc:
        raise InvalidImportError(f"{path.name} is not JSON: {exc}.", {"file": path.name}) from exc
    except RecursionError as exc:
        raise InvalidImportError(f"{path.name} is nested too deeply to be Label Studio tasks.",
                                 {"file": path.name}) from exc  # fmt: skip
    if not isinstance(tasks, list):
        raise InvalidImportError(f"{path.name} must hold a JSON array of Label Studio tasks.", {"file": path.name})
    if not tasks:
        raise InvalidImportError(f"{path.name} has no tasks.", {"file": path.name})
    return tasks


def _agreed_class(task: dict[str, Any], number: int) -> str | None:
    annotations = task.get("annotations") or []
    if not isinstance(annotations, list):
        raise InvalidImportError(f"Task {number}: annotations must be a list.", {"task": number})
    kept = [a for a in annotations if isinstance(a, dict) and not a.get("was_cancelled")]
    truth = [a for a in kept if a.get("ground_truth")]
    votes = Counter(name for a in (truth or kept) for name in _choices(a, number))
    ranked = votes.most_common(2)
    if not ranked or (len(ranked) == 2 and ranked[0][1] == ranked[1][1]):
        return None
    return ranked[0][0]


def _choices(annotation: dict[str, Any], number: int) -> list[str]:
    """The first choice of the annotation's first "choices" region ([] when it has none)."""
    result = annotation.get("result") or []
    if not isinstance(result, list):
        raise InvalidImportError(f"Task {number}: an annotation's result must be a list.", {"task": number})
    for region in result:
        value = region.get("value") if isinstance(region, dict) and region.get("type") == "choices" else None
        choices = value.get("choices") if isinstance(value, dict) else None
        if isinstance(choices, list) and choices:
            return [str(choices[0])]
    return []

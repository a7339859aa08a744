import json
from pathlib import Path

import pytest
from PIL import Image

from labeling.exceptions import InvalidImportError
from labeling.readers import read_image_folder, read_text_file


def _png(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("L", (4, 4), 128).save(path)
    return path


def test_class_subfolders_give_the_class_of_each_image(tmp_path):
    _png(tmp_path / "cat" / "a.png")
    _png(tmp_path / "dog" / "b.jpg")
    (tmp_path / "dog" / "notes.txt").write_text("not an image")

    records = read_image_folder(tmp_path)

    assert [(r.path.name, r.class_name) for r in records] == [("a.png", "cat"), ("b.jpg", "dog")]


def test_flat_folder_gives_unlabeled_images(tmp_path):
    _png(tmp_path / "x.png")
    assert [(r.path.name, r.class_name) for r in read_image_folder(tmp_path)] == [("x.png", None)]


def test_mixed_layout_is_refused(tmp_path):
    _png(tmp_path / "x.png")
    _png(tmp_path / "cat" / "a.png")
    with pytest.raises(InvalidImportError, match="mixes images and class sub-folders"):
        read_image_folder(tmp_path)


def test_csv_with_labels_and_ids(tmp_path):
    path = tmp_path / "reviews.csv"
    path.write_text("id,text,label\nr1,great film,fresh\nr2,dull,\n")

    records = read_text_file(path)

    assert [(r.source_name, r.text, r.class_name) for r in records] == [
        ("r1", "great film", "fresh"),
        ("r2", "dull", None),
    ]


def test_csv_without_the_text_column_names_the_columns(tmp_path):
    path = tmp_path / "reviews.csv"
    path.write_text("review,label\ngreat,fresh\n")
    with pytest.raises(InvalidImportError, match=r"no column 'text'; its columns are \['review', 'label'\]"):
        read_text_file(path)


def test_csv_text_column_can_be_renamed(tmp_path):
    path = tmp_path / "reviews.csv"
    path.write_text("review,label\ngreat,fresh\n")
    assert read_text_file(path, text_column="review")[0].text == "great"


def test_jsonl_rows(tmp_path):
    path = tmp_path / "t.jsonl"
    path.write_text(json.dumps({"text": "hello", "label": "a"}) + "\n\n" + json.dumps({"text": "bye"}) + "\n")
    assert [(r.text, r.class_name, r.source_name) for r in read_text_file(path)] == [
        ("hello", "a", "row 1"),
        ("bye", None, "row 2"),
    ]


def test_jsonl_bad_line_is_named(tmp_path):
    path = tmp_path / "t.jsonl"
    path.write_text('{"text": "ok"}\n{oops\n')
    with pytest.raises(InvalidImportError, match="line 2 is not JSON"):
        read_text_file(path)

"""Management commands: a CLI error names the problem and nothing is saved."""

import pytest
from django.core.management import CommandError, call_command

from labeling.models import Item, Project
from tests.conftest import write_digit_folder

pytestmark = pytest.mark.django_db


def test_create_project_and_import_a_class_folder(tmp_path, capsys):
    call_command("create_project", "scans", "--modality", "image", "--classes", "0,1,2")
    call_command("import_items", "scans", "--images", str(write_digit_folder(tmp_path, 5)), "--eval-fraction", "0.2")
    assert "Imported 12 pool and 3 evaluation items into scans." in capsys.readouterr().out


def test_corrupt_image_is_a_cli_error_naming_the_file(tmp_path):
    call_command("create_project", "scans", "--modality", "image", "--classes", "0,1,2")
    folder = write_digit_folder(tmp_path, 2)
    (folder / "0" / "bad.png").write_text("not an image")
    with pytest.raises(CommandError, match=r"bad\.png is not a readable image"):
        call_command("import_items", "scans", "--images", str(folder))
    assert not Item.objects.exists()


def test_csv_without_text_column_is_a_cli_error(tmp_path):
    call_command("create_project", "reviews", "--modality", "text", "--classes", "fresh,rotten")
    path = tmp_path / "r.csv"
    path.write_text("body,label\nnice,fresh\n")
    with pytest.raises(CommandError, match=r"r\.csv has no column 'text'"):
        call_command("import_items", "reviews", "--texts", str(path))
    assert not Item.objects.exists()


def test_unknown_project_is_a_cli_error(tmp_path):
    with pytest.raises(CommandError, match="No project named or numbered 'ghost'"):
        call_command("import_items", "ghost", "--texts", str(tmp_path / "x.csv"))


def test_bad_strategy_is_a_cli_error():
    with pytest.raises(CommandError, match="Unknown strategy 'guess'"):
        call_command("create_project", "p", "--modality", "text", "--classes", "a,b", "--strategy", "guess")
    assert not Project.objects.exists()


def test_bad_adaptation_is_a_cli_error():
    with pytest.raises(CommandError, match="adaptation: Value 'magic' is not a valid choice"):
        call_command("create_project", "p", "--modality", "text", "--classes", "a,b", "--encoder", "minilm-l6",
                     "--adaptation", "magic")  # fmt: skip
    assert not Project.objects.exists()


def test_finetune_last_block_is_a_flag_checked_against_the_encoder():
    call_command("create_project", "scans", "--modality", "image", "--classes", "0,1", "--encoder",
                 "efficientnet-lite0-112", "--finetune-last-block")  # fmt: skip
    assert Project.objects.get(name="scans").finetune_last_block is True
    with pytest.raises(CommandError, match="finetune_last_block: Fine-tuning the last block needs an image encoder"):
        call_command("create_project", "p", "--modality", "image", "--classes", "a,b", "--finetune-last-block")
    assert not Project.objects.filter(name="p").exists()


def test_import_demo_makes_a_project_from_real_digits(capsys):
    call_command("import_demo", "digits", "--limit", "100", "--eval-fraction", "0.2")
    project = Project.objects.get(name="digits")
    assert project.items.filter(split="pool").count() == 80
    assert project.items.filter(split="eval", gold_class__isnull=False).count() == 20
    with pytest.raises(CommandError, match="exists already"):
        call_command("import_demo", "digits", "--limit", "10")


def test_import_demo_text(capsys):
    call_command("import_demo", "rotten-tomatoes", "--limit", "50", "--name", "rt")
    assert set(Project.objects.get(name="rt").label_classes.values_list("name", flat=True)) == {"fresh", "rotten"}

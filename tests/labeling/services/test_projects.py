import pytest

from labeling.exceptions import InvalidProjectError
from labeling.models import Project
from labeling.services.projects import project_create

pytestmark = pytest.mark.django_db


def test_project_classes_keep_their_order():
    project = project_create(name="p", modality="image", class_names=["cat", "dog", "bird"])
    assert [c.name for c in project.label_classes.all()] == ["cat", "dog", "bird"]


@pytest.mark.parametrize("names", [["only"], ["a", "a"], ["a", " "]])
def test_class_names_must_be_two_or_more_distinct(names):
    with pytest.raises(InvalidProjectError, match="at least two distinct"):
        project_create(name="p", modality="image", class_names=names)
    assert not Project.objects.exists()


def test_unknown_strategy_is_refused():
    with pytest.raises(InvalidProjectError, match="Unknown strategy 'psychic'"):
        project_create(name="p", modality="image", class_names=["a", "b"], strategy="psychic")
    assert not Project.objects.exists()


@pytest.mark.parametrize(("field", "value"), [("committee_size", 1), ("density_beta", -0.5)])
def test_strategy_settings_out_of_range_are_refused(field, value):
    with pytest.raises(InvalidProjectError, match=field):
        project_create(name="p", modality="image", class_names=["a", "b"], **{field: value})
    assert not Project.objects.exists()


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"adaptation": "psychic", "encoder": "minilm-l6"}, "adaptation: Value 'psychic' is not a valid choice."),
        ({"adaptation": "contrastive"}, "adaptation: Contrastive adaptation needs a pretrained encoder; choose one."),
    ],
)
def test_a_bad_adaptation_is_refused_naming_the_field(options, message):
    with pytest.raises(InvalidProjectError, match=message) as raised:
        project_create(name="p", modality="text", class_names=["a", "b"], **options)
    assert raised.value.status_code == 400
    assert not Project.objects.exists()


def test_adaptation_is_off_unless_asked_for():
    assert project_create(name="p", modality="text", class_names=["a", "b"]).adaptation == "none"

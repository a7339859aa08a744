"""The OpenAPI schema is the API's contract: generated without a warning, and saying what each
endpoint answers, errors included."""

import pytest
from django.core.management import call_command
from drf_spectacular.generators import SchemaGenerator

ERROR_REF = {"$ref": "#/components/schemas/Error"}


@pytest.fixture(scope="module")
def spec() -> dict:
    return SchemaGenerator().get_schema(request=None, public=True)


def _operations(spec):
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            yield f"{method.upper()} {path}", operation


def test_schema_generates_and_validates_without_a_warning(tmp_path):
    # --fail-on-warn turns every drf-spectacular warning or error into a failure.
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))


def test_every_operation_has_a_success_body_and_every_4xx_is_the_error_shape_with_an_example(spec):
    for name, operation in _operations(spec):
        responses = operation["responses"]
        successes = [code for code in responses if code.startswith("2")]
        assert successes, name
        assert all(responses[code].get("content") for code in successes if code != "204"), name  # 204: no body
        for code, response in responses.items():
            if code.startswith("4"):
                (media,) = response["content"].values()
                assert media["schema"] == ERROR_REF, (name, code)
                assert "example" in media or "examples" in media, (name, code)


def test_operations_declare_the_statuses_they_answer(spec):
    statuses = {name: set(operation["responses"]) for name, operation in _operations(spec)}
    assert statuses["POST /api/projects/"] == {"201", "400", "401", "403", "413", "415"}
    assert statuses["POST /api/projects/{project_id}/model-versions/"] == {"202", "401", "403", "404", "409"}
    assert statuses["POST /api/projects/{project_id}/replays/"] == {
        "202", "400", "401", "403", "404", "409", "413", "415"
    }  # fmt: skip
    assert statuses["POST /api/projects/{project_id}/labels/"] == {
        "200", "201", "400", "401", "404", "409", "413", "415"
    }  # fmt: skip
    assert statuses["GET /api/projects/{project_id}/queue/"] == {"200", "401", "404", "409"}
    assert statuses["POST /api/auth/token/"] == {"200", "400", "401", "413", "415"}


def test_export_declares_its_format_parameter_and_each_file_type(spec):
    operation = spec["paths"]["/api/projects/{project_id}/export/"]["get"]
    (fmt,) = [p for p in operation["parameters"] if p["name"] == "format"]
    formats = ["csv", "imagefolder", "json", "jsonl", "label-studio", "texts-csv", "texts-jsonl"]
    assert fmt["in"] == "query" and fmt["schema"]["enum"] == formats and fmt["schema"]["default"] == "json"
    content = operation["responses"]["200"]["content"]
    assert set(content) == {"application/json", "application/x-ndjson", "text/csv", "application/zip"}
    assert content["application/json"]["schema"]["type"] == "array"  # rows, so a client can validate them


def test_the_token_endpoint_needs_no_login(spec):
    assert "security" not in spec["paths"]["/api/auth/token/"]["post"]
    assert spec["paths"]["/api/projects/"]["get"]["security"][0] == {"tokenAuth": []}

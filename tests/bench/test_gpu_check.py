"""`python -m bench.gpu_check`: refuses a CPU-only machine clearly, and runs end to end at tiny sizes."""

import json
from pathlib import Path

import pytest
import torch

from bench import gpu_check


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the refusal on a machine without CUDA")
def test_without_cuda_it_refuses_and_names_the_problem(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        gpu_check.main([])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert "no CUDA device" in err and "--cpu-smoke" in err


def test_cpu_smoke_measures_every_section_and_writes_the_report(tmp_path: Path) -> None:
    path = gpu_check.main(["--cpu-smoke", "--tests", "tests/learner/test_device.py", "--out", str(tmp_path)])
    assert path == tmp_path / "gpu-check-cpu-smoke.md"
    data = json.loads((tmp_path / "gpu-check-cpu-smoke.json").read_text())
    summary = data["summary"]
    assert summary["failed sections"] == "none", summary["failed sections"]
    assert summary["gpu tests"]["returncode"] in (0, 5)  # 5: every gpu test deselected or skipped on CPU
    sections = {row["section"] for row in data["rows"]}
    assert {"k-center", "BADGE", "scorers", "ordering", "round", "embedding"} <= sections
    assert data["command"].startswith("python -m bench.gpu_check --cpu-smoke")
    assert "x floor" in path.read_text()

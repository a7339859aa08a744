"""Write a benchmark's results as JSON and a markdown table, with the machine and command."""

import json
import os
import platform
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"


def machine() -> dict[str, Any]:
    return {
        "cpu": platform.processor() or platform.machine(),
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def command() -> str:
    """How this benchmark was started, as `python -m bench.<name> <args>`."""
    script = Path(sys.argv[0]).resolve()
    module = ".".join(script.relative_to(RESULTS.parent.parent).with_suffix("").parts)
    return " ".join(["python -m", module, *sys.argv[1:]])


def write(name: str, rows: list[dict[str, Any]], summary: dict[str, Any], *, ran: str | None = None) -> Path:
    """Write results/<name>.json and results/<name>.md; returns the markdown path.

    `ran`: the command that produced the rows, when they are redrawn from saved results.
    """
    RESULTS.mkdir(exist_ok=True)
    meta = {
        "command": ran or command(),
        "machine": machine(),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    (RESULTS / f"{name}.json").write_text(json.dumps({**meta, "summary": summary, "rows": rows}, indent=2) + "\n")
    columns = list(dict.fromkeys(key for row in rows for key in row))  # every key, first-seen order
    lines = [
        f"# {name}",
        "",
        f"Command: `{meta['command']}`  ",
        "Machine: {cores} cores, {platform}, Python {python}  ".format(**meta["machine"]),
        f"Date: {meta['date']}",
        "",
        *(f"- {key}: {value}" for key, value in summary.items()),
        "",
        "| " + " | ".join(columns) + " |",
        "| " + " | ".join("---" for _ in columns) + " |",
        *("| " + " | ".join(str(row.get(c, "")) for c in columns) + " |" for row in rows),
    ]
    path = RESULTS / f"{name}.md"
    path.write_text("\n".join(lines) + "\n")
    return path

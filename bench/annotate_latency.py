"""Keypress to next item shown on the annotator's page, as an annotator meets it on the demo stack.

For each checkout given (this one by default; pass an older one as the reference), the benchmark
makes a fresh SQLite database with 400 MNIST-5k digits, starts gunicorn with two sync workers as
`./tweezer demo` does, logs one annotator in with Debian's Chromium and presses class keys at an
expert's pace (one every 250 ms). The page itself is not instrumented: an observer added before
the page loads stamps each key press and the moment the next item's id is on the page with its
image loaded, one frame later. So the same measure applies to any version of the page.

    python -m bench.annotate_latency                       # this checkout only
    python -m bench.annotate_latency --reference ../old    # the reference too, in the same run

Results: bench/results/annotate-latency.json and .md.
"""

import argparse
import contextlib
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.report import write

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "bench-annotator-pass"

SETUP = f"""
from django.contrib.auth import get_user_model
from labeling.demo import demo_project_import
from labeling.services.projects import project_member_add
project, _ = demo_project_import(dataset="mnist-5k", name="mnist-5k", limit=400, encoder="")
user = get_user_model().objects.create_user("annotator", password="{PASSWORD}")
project_member_add(project=project, user=user)
print(project.pk)
"""

OBSERVER = """
window.__latencies = [];
let pressedAt = null, lastId = null;
document.addEventListener("keydown", (e) => { if (/^[0-9]$/.test(e.key)) pressedAt = performance.now(); }, true);
new MutationObserver(() => {
  const box = document.querySelector(".item");
  const id = box && box.dataset.itemId;
  if (!id || id === lastId) return;
  lastId = id;
  if (pressedAt === null) return;
  const t0 = pressedAt;
  pressedAt = null;
  const img = box.querySelector("img");
  const done = () => requestAnimationFrame(() => window.__latencies.push(performance.now() - t0));
  if (img && !img.complete) img.addEventListener("load", done, { once: true }); else done();
}).observe(document, { subtree: true, childList: true, attributes: true, attributeFilter: ["data-item-id"] });
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def serve(checkout: Path, var_dir: Path) -> tuple[subprocess.Popen[bytes], int, str]:
    """Migrate a fresh database, import the digits, start gunicorn; (process, project id, url)."""
    env = {**os.environ, "TWEEZER_VAR_DIR": str(var_dir)}
    env.pop("DATABASE_URL", None)
    env.pop("REDIS_URL", None)
    python = sys.executable
    subprocess.run([python, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=checkout, env=env, check=True)
    out = subprocess.run([python, "manage.py", "shell", "-c", SETUP], cwd=checkout, env=env, check=True,
                         capture_output=True, text=True).stdout  # fmt: skip
    project = int(out.strip().splitlines()[-1])
    port = free_port()
    gunicorn = Path(python).with_name("gunicorn")
    server = subprocess.Popen([str(gunicorn), "config.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "2"],
                              cwd=checkout, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), 1).close()
            break
        except OSError:
            time.sleep(0.2)
    return server, project, f"http://127.0.0.1:{port}"


def measure(url: str, project: int, presses: int) -> list[float]:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page()
        page.add_init_script(OBSERVER)
        page.goto(f"{url}/login/")
        page.fill("input[name=username]", "annotator")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{url}/")
        page.goto(f"{url}/projects/{project}/annotate/")
        page.wait_for_function("document.querySelector('.item') && document.querySelector('.item').dataset.itemId")
        page.wait_for_timeout(500)
        for n in range(presses):
            page.keyboard.press(str(n % 10))
            page.wait_for_timeout(250)
        with contextlib.suppress(PlaywrightTimeout):  # a page may drop a key press (the old one did)
            page.wait_for_function(f"window.__latencies.length >= {presses}", timeout=10_000)
        latencies = page.evaluate("window.__latencies")
        browser.close()
    return [float(x) for x in latencies]


def summarise(name: str, checkout: Path, latencies: list[float], presses: int) -> dict[str, object]:
    ordered = sorted(latencies)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=checkout, capture_output=True,
                            text=True).stdout.strip()  # fmt: skip
    return {
        "name": name, "commit": commit, "presses": presses, "n": len(ordered),
        "p50_ms": round(statistics.median(ordered), 1),
        "p95_ms": round(ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))], 1),
        "max_ms": round(ordered[-1], 1),
    }  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reference", type=Path, help="another checkout of Tweezer to measure first, same run")
    parser.add_argument("--presses", type=int, default=60)
    args = parser.parse_args()
    if args.reference is not None and not (args.reference / "manage.py").exists():
        parser.error(f"--reference {args.reference} is not a Tweezer checkout (no manage.py there)")
    runs = [("reference", args.reference.resolve())] if args.reference else []
    runs.append(("this checkout", ROOT))
    rows = []
    for name, checkout in runs:
        with tempfile.TemporaryDirectory() as var_dir:
            server, project, url = serve(checkout, Path(var_dir))
            try:
                rows.append(summarise(name, checkout, measure(url, project, args.presses), args.presses))
            finally:
                server.terminate()
                server.wait()
    summary = {"what": "keypress to next item shown, demo stack (SQLite, gunicorn 2 sync workers), one annotator, "
                       "headless Debian Chromium; items shown below presses: presses that moved to no new item"}
    if len(rows) == 2:
        summary["p95 this checkout / reference"] = round(float(rows[1]["p95_ms"]) / float(rows[0]["p95_ms"]), 2)
    print(write("annotate-latency", rows, summary).read_text())


if __name__ == "__main__":
    main()

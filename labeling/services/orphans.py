"""Delete model and ranking files that no ModelVersion names: what crashed runs left behind.

A run writes its model and ranking files before the transaction that names them commits; a worker
killed in between leaves files no row will ever point at. Only files older than
settings.ORPHAN_MIN_AGE_SECONDS are touched, so a run still between writing and publishing keeps
its files. Embeddings, adaptation fits and replay plots are not this sweep's business.
"""

import re
import time
from datetime import timedelta

from django.db.models import Q

from labeling.artifacts import artifact_delete, artifact_list
from labeling.models import ModelVersion

# project-<id>/model-v<n>-<uuid>.pt, project-<id>/ranking-v<n>-<uuid>-{ids,scores}.npy, and the
# temporary files a local write left half-done (.<name>.<random>.tmp).
_SWEPT = re.compile(r"^project-\d+/\.?(model-v\d+-[0-9a-f]+\.pt|ranking-v\d+-[0-9a-f]+-(ids|scores)\.npy)(\..+\.tmp)?$")


def orphan_artifacts_sweep(*, min_age: timedelta) -> list[str]:
    """Delete unnamed model and ranking files older than `min_age`; the names deleted."""
    cutoff = time.time() - min_age.total_seconds()
    candidates = [name for name, modified in artifact_list() if modified < cutoff and _SWEPT.match(name)]
    if not candidates:
        return []
    named = _named_files()
    orphans = [name for name in candidates if name not in named]
    for name in orphans:
        artifact_delete(name)
    return orphans


def _named_files() -> set[str]:
    """Every model and ranking file a ModelVersion row names, whatever its status."""
    named = set()
    rows = ModelVersion.objects.filter(~Q(artifact_path="") | ~Q(ranking_name="")).values_list(
        "artifact_path", "ranking_name"
    )
    for artifact_path, ranking_name in rows.iterator():
        named.add(artifact_path)
        if ranking_name:
            named.update((f"{ranking_name}-ids.npy", f"{ranking_name}-scores.npy"))
    return named

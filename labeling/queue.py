"""The one place that names Celery tasks: services ask for background work here and never import
labeling.tasks (an import-linter contract in pyproject.toml keeps it so).

Each `enqueue_*` sends by task name once the surrounding transaction commits, so the worker finds
the row it is sent. The database is the record and a message only a trigger, so a broker that is
down must neither undo nor fail the caller's write: the send is logged and dropped, and the
periodic sweeps (labeling.services.runs) send the run again once its heartbeat is stale.
"""

import logging

from django.db import transaction
from kombu.exceptions import OperationalError as BrokerError

from config.celery import app

logger = logging.getLogger(__name__)

MODEL_VERSION_TRAIN = "labeling.tasks.model_version_train"
EMBEDDINGS_COMPUTE = "labeling.tasks.embeddings_compute_task"
STRATEGY_REPLAY = "labeling.tasks.strategy_replay_task"

# A broker that refuses connections fails the send within about a second instead of holding a
# web request: three quick retries, then the send is logged and left to the sweep.
_RETRY_POLICY = {"max_retries": 2, "interval_start": 0.1, "interval_step": 0.2, "interval_max": 0.3}


def enqueue_retrain(model_version_id: int) -> None:
    """Train the queued ModelVersion once the current transaction commits."""
    _send_on_commit(MODEL_VERSION_TRAIN, model_version_id)


def enqueue_embeddings(project_id: int) -> None:
    """Embed the project's new items (its queued EmbeddingRun) once the current transaction commits."""
    _send_on_commit(EMBEDDINGS_COMPUTE, project_id)


def enqueue_replay(replay_id: int) -> None:
    """Run the queued StrategyReplay once the current transaction commits."""
    _send_on_commit(STRATEGY_REPLAY, replay_id)


def _send_on_commit(task_name: str, run_id: int) -> None:
    transaction.on_commit(lambda: send(task_name, run_id))


def send(task_name: str, run_id: int) -> bool:
    """Send now; False (logged) when the broker cannot be reached."""
    try:
        app.send_task(task_name, args=(run_id,), retry=True, retry_policy=_RETRY_POLICY)
    except (BrokerError, OSError) as exc:
        logger.warning("Could not send %s(%s): %s; the periodic sweep sends it again.", task_name, run_id, exc)
        return False
    return True

"""A model version's trained head as one torch file that loads without Tweezer.

torch.load(path, weights_only=True) gives a dict (format "tweezer-softmax-head/1"):

    classes     list[str], the columns of the probabilities
    encoder     what makes the features: an encoder name (learner.encoders), "pixels" or "tfidf-lsa"
    features    how, in words; input_dim: their width d
    mean, std   float32 (d,): standardise features as z = (x - mean) / std
    state_dict  out.weight (c, h), out.bias (c,); with a hidden layer also body.0.weight (h, d), body.0.bias (h,)

and the probabilities of features x (n, d) are, in plain torch:

    z = (x - m["mean"]) / m["std"]
    if "body.0.weight" in m["state_dict"]: z = torch.relu(z @ sd["body.0.weight"].T + sd["body.0.bias"])
    probs = torch.softmax(z @ sd["out.weight"].T + sd["out.bias"], dim=1)
"""

import io
from typing import Any

import torch

from labeling.artifacts import bytes_load
from labeling.exceptions import ModelNotExportableError
from labeling.models import ModelVersion, Project
from learner.encoders import ENCODERS

FORMAT = "tweezer-softmax-head/1"
HEAD_KEYS = ({"out.weight", "out.bias"}, {"out.weight", "out.bias", "body.0.weight", "body.0.bias"})
BUILT_IN = {
    "pixels": "each image in grayscale, resized to 28x28 (bilinear), pixels / 255, flattened row by row",
    "tfidf-lsa": "TF-IDF and LSA fitted on the project's texts (learner.features.text); only Tweezer reproduces it",
}


def model_file_bytes(*, version: ModelVersion) -> bytes:
    """The documented file for a finished version; ModelNotExportableError for a fine-tuned encoder block."""
    project: Project = version.project
    if version.status != ModelVersion.Status.DONE or not version.artifact_path:
        raise ModelNotExportableError(
            f"Model version {version.number} is {version.status}; only a finished version has a model.",
            {"version": version.number, "status": version.status},
        )
    stored = torch.load(io.BytesIO(bytes_load(version.artifact_path)), map_location="cpu", weights_only=True)
    state = stored["state_dict"]
    if set(state) not in HEAD_KEYS:
        raise ModelNotExportableError(
            f"Model version {version.number} fine-tuned the encoder's last block; only softmax heads on frozen "
            "features are exported so far.", {"version": version.number})  # fmt: skip
    encoder = (version.metrics or {}).get("encoder") or project.encoder or "pixels"
    adaptation = ((version.metrics or {}).get("adaptation") or {}).get("method", "none")
    features = ENCODERS[encoder].summary if encoder in ENCODERS else BUILT_IN.get(encoder, encoder)
    if adaptation != "none":
        features += f"; then adapted to the pool ({adaptation}), so raw encoder outputs will not match"
    header: dict[str, Any] = {
        "format": FORMAT,
        "project": project.name,
        "model_version": version.number,
        "classes": [str(c) for c in stored["classes"]],
        "encoder": encoder,
        "features": features,
        "input_dim": int(stored["mean"].shape[0]),
        "hidden": int(stored["config"].get("hidden", 0)),
        "mean": stored["mean"].float(),
        "std": stored["std"].float(),
        "state_dict": {k: v.float() for k, v in state.items()},
    }
    buffer = io.BytesIO()
    torch.save(header, buffer)
    return buffer.getvalue()

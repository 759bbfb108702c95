"""The ticket classifier: TF-IDF word and character n-grams, a linear model, plus keyword priors,
its scores turned into probabilities by a softmax at a calibrated temperature.

Stored as plain JSON (vocabularies, idf weights, coefficients), never pickle, so a model file is
data that cannot run code when loaded.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from tripwire.evaluate.tickets.keywords import keyword_scores

if TYPE_CHECKING:
    from sklearn.feature_extraction.text import TfidfVectorizer
from tripwire.evaluate.tickets.topics import TOPICS

FORMAT = "tripwire-ticket-model"
VERSION = 1


class ModelFileError(ValueError):
    """The model file is missing, not JSON, or not a Tripwire ticket model."""


@dataclass(frozen=True, slots=True)
class Prediction:
    topic: str
    confidence: float


def vectorizer_params(analyzer: str) -> dict[str, Any]:
    if analyzer == "word":
        return {"analyzer": "word", "ngram_range": (1, 2), "sublinear_tf": True, "lowercase": True}
    return {"analyzer": "char_wb", "ngram_range": (2, 5), "sublinear_tf": True, "lowercase": True}


class TicketModel:
    """Predicts one of TOPICS with a confidence (the winning probability)."""

    def __init__(
        self,
        name: str,
        vectorizers: list[TfidfVectorizer],
        coef: np.ndarray[Any, Any],
        intercept: np.ndarray[Any, Any],
        keyword_weight: float,
        info: dict[str, Any] | None = None,
        temperature: float = 1.0,
    ) -> None:
        self.name = name
        self.vectorizers = vectorizers
        self.coef = coef
        self.intercept = intercept
        self.keyword_weight = keyword_weight
        self.info = info or {}
        self.temperature = temperature

    def scores(self, texts: Sequence[str]) -> np.ndarray[Any, Any]:
        """One linear score per topic (the learned model plus the keyword priors)."""
        logits = np.tile(self.intercept, (len(texts), 1))
        offset = 0
        for vec in self.vectorizers:
            width = len(vec.vocabulary_)
            block = self.coef[:, offset : offset + width]
            logits = logits + np.asarray(vec.transform(texts) @ block.T)
            offset += width
        if self.keyword_weight:
            logits = logits + self.keyword_weight * np.array([keyword_scores(t) for t in texts])
        return np.asarray(logits)

    def probabilities(self, texts: Sequence[str]) -> np.ndarray[Any, Any]:
        return softmax(self.scores(texts), self.temperature)

    def predict(self, texts: Sequence[str]) -> list[Prediction]:
        if not texts:
            return []
        probs = self.probabilities(texts)
        best = probs.argmax(axis=1)
        return [Prediction(TOPICS[i], round(float(probs[row, i]), 4)) for row, i in enumerate(best)]

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "version": VERSION,
            "name": self.name,
            "classes": list(TOPICS),
            "keyword_weight": self.keyword_weight,
            "temperature": self.temperature,
            "features": [
                {
                    "analyzer": v.analyzer,
                    "vocabulary": {k: int(i) for k, i in v.vocabulary_.items()},
                    "idf": [round(float(x), 5) for x in v.idf_],
                }
                for v in self.vectorizers
            ],
            "coef": [[round(float(x), 5) for x in row] for row in self.coef],
            "intercept": [round(float(x), 5) for x in self.intercept],
            "info": self.info,
        }

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.to_json(), separators=(",", ":")), encoding="utf-8")


def softmax(scores: np.ndarray[Any, Any], temperature: float) -> np.ndarray[Any, Any]:
    """Probabilities per row from linear scores; a higher temperature spreads them out."""
    logits = scores / temperature
    logits = logits - logits.max(axis=1, keepdims=True)
    exp = np.exp(logits)
    return np.asarray(exp / exp.sum(axis=1, keepdims=True))


def from_json(data: Any) -> TicketModel:
    """Rebuild a model from its JSON form; raises ModelFileError naming what is wrong."""
    # Imported here: scikit-learn takes seconds to import, and most commands never classify.
    from sklearn.feature_extraction.text import TfidfVectorizer

    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ModelFileError(f"not a Tripwire ticket model (expected format {FORMAT!r})")
    if data.get("version") != VERSION or data.get("classes") != list(TOPICS):
        raise ModelFileError("unsupported model version or topic list; retrain with this release")
    try:
        vectorizers = []
        for spec in data["features"]:
            vec = TfidfVectorizer(
                **vectorizer_params(spec["analyzer"]),
                vocabulary={str(k): int(i) for k, i in spec["vocabulary"].items()},
            )
            vec.idf_ = np.asarray(spec["idf"], dtype=np.float64)
            vectorizers.append(vec)
        coef = np.asarray(data["coef"], dtype=np.float64)
        intercept = np.asarray(data["intercept"], dtype=np.float64)
        width = sum(len(v.vocabulary_) for v in vectorizers)
        if coef.shape != (len(TOPICS), width) or intercept.shape != (len(TOPICS),):
            raise ModelFileError("coefficients do not match the vocabulary size")
        return TicketModel(
            str(data.get("name", "custom")),
            vectorizers,
            coef,
            intercept,
            float(data.get("keyword_weight", 0.0)),
            dict(data.get("info") or {}),
            float(data.get("temperature", 1.0)),  # files from before calibration: 1
        )
    except (KeyError, TypeError, ValueError) as exc:
        if isinstance(exc, ModelFileError):
            raise
        raise ModelFileError(f"model file is damaged: {exc}") from None


def load_model_file(path: Path) -> TicketModel:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelFileError(f"{path}: no such model file") from None
    except (OSError, ValueError) as exc:
        raise ModelFileError(f"{path}: cannot read the model: {exc}") from None
    return from_json(data)

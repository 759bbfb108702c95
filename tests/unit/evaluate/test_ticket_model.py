from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tripwire.evaluate.tickets.classifier import (
    builtin_dataset,
    builtin_written,
    classify,
    load_classifier,
)
from tripwire.evaluate.tickets.keywords import keyword_topic
from tripwire.evaluate.tickets.model import ModelFileError, from_json, load_model_file
from tripwire.evaluate.tickets.topics import TOPICS
from tripwire.evaluate.tickets.train import (
    data_fingerprint,
    fit,
    read_labelled,
    train_builtin,
)


def test_the_shipped_data_set_is_large_and_covers_every_topic() -> None:
    data = read_labelled(builtin_dataset())
    assert len(data.texts) >= 600
    assert {t: data.topics.count(t) >= 100 for t in TOPICS} == dict.fromkeys(TOPICS, True)


@pytest.mark.parametrize(
    ("text", "topic"),
    [
        ("the bot was rude to me", "inappropriate_response"),
        ("I was charged twice for the AI add-on, please refund", "not_ai"),
        ("It just doesn't load since this morning, spinning forever", "availability"),
        ("The assistant said the warranty is 5 years but the manual says 2", "wrong_answer"),
        ("Answers are long and rambling and never get to the point", "ai_quality_other"),
    ],
)
def test_the_builtin_model_gets_typical_and_hard_tickets_right(text: str, topic: str) -> None:
    [prediction] = classify([(text, None)])
    assert prediction.topic == topic
    assert 0.0 < prediction.confidence <= 1.0


def test_the_model_round_trips_through_plain_json(tmp_path: Path) -> None:
    model = load_classifier()
    path = tmp_path / "m.json"
    model.save(path)
    again = load_model_file(path)
    texts = ["the chatbot invented a refund policy", "site down"]
    assert [p.topic for p in again.predict(texts)] == [p.topic for p in model.predict(texts)]


def test_a_damaged_model_file_is_refused_with_a_reason(tmp_path: Path) -> None:
    with pytest.raises(ModelFileError, match="not a Tripwire ticket model"):
        from_json({"format": "pickle"})
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"format": "tripwire-ticket-model", "version": 1}), "utf-8")
    with pytest.raises(ModelFileError):
        load_model_file(path)


def test_the_keyword_baseline_defaults_to_not_ai() -> None:
    assert keyword_topic("hello there")[0] == "not_ai"
    assert keyword_topic("getting 503 errors, service unavailable")[0] == "availability"


def test_confidences_are_calibrated_on_tickets_the_model_did_not_see() -> None:
    # An SVM's margins are not probabilities; fit() picks the softmax temperature on
    # out-of-fold scores, so that on unseen tickets the mean confidence tracks the accuracy.
    data = read_labelled(builtin_written())
    order = np.random.default_rng(3).permutation(len(data.texts))
    train, test = order[:700], order[700:1000]
    model = fit([data.texts[i] for i in train], [data.topics[i] for i in train], "t")
    assert model.temperature != 1.0
    predictions = model.predict([data.texts[i] for i in test])
    accuracy = np.mean([p.topic == data.topics[i] for p, i in zip(predictions, test, strict=True)])
    confidence = np.mean([p.confidence for p in predictions])
    assert abs(confidence - accuracy) < 0.1, (confidence, accuracy)


def test_a_model_file_from_before_calibration_still_loads() -> None:
    data = load_classifier().to_json()
    del data["temperature"]
    assert from_json(data).temperature == 1.0


def test_no_training_ticket_is_in_the_blind_test_set() -> None:
    # The blind test set is held out: a ticket in both would be scored on what it was fitted to.
    blind = Path(__file__).parents[3] / "benchmarks" / "data" / "tickets_blind_test.csv"
    held_out = {t.strip().lower() for t in read_labelled(blind).texts}
    for path in (builtin_written(), builtin_dataset()):
        training = {t.strip().lower() for t in read_labelled(path).texts}
        shared = len(training & held_out)  # a count, so a failure never prints the texts
        assert shared == 0, path.name


def test_the_shipped_model_was_retrained_after_its_data_last_changed() -> None:
    # scripts/train_builtin_tickets.py records a digest of the files it trained on; a data file
    # edited without retraining would ship a model that no longer matches it.
    info = load_classifier().info
    assert info["data_sha256"] == data_fingerprint([builtin_dataset(), builtin_written()])


def test_training_is_deterministic() -> None:
    data = read_labelled(builtin_written())
    texts, topics = data.texts[:300], data.topics[:300]
    assert fit(texts, topics, "a").to_json() == fit(texts, topics, "a").to_json()


def test_a_source_can_be_left_out_of_training(tmp_path: Path) -> None:
    data = read_labelled(builtin_written())
    rows = ["text,subject,topic,source"]
    for i in range(200):
        source = "held" if i % 4 == 0 else "kept"
        rows.append(f'"{data.texts[i].replace(chr(34), chr(39))}",,{data.topics[i]},{source}')
    written = tmp_path / "written.csv"
    written.write_text("\n".join(rows) + "\n", "utf-8")
    labelled = read_labelled(written)
    assert labelled.without("held").sources == ["kept"] * 150
    model = train_builtin(builtin_dataset(), written, "t", leave_out="held")
    assert (model.info["written"], model.info["left_out"]) == (150, "held")

"""Retrain the shipped ticket classifier (src/tripwire/evaluate/tickets/data/model.json).

Usage: PYTHONPATH=src python scripts/train_builtin_tickets.py
Trains on the generated templates (tickets.csv, down-weighted) plus the written tickets
(tickets_written.csv). Never add benchmarks/data/tickets_blind_test.csv: it is the held-out set.
"""

from tripwire.evaluate.tickets.classifier import (
    BUILTIN_NAME,
    builtin_dataset,
    builtin_model_path,
    builtin_written,
)
from tripwire.evaluate.tickets.train import train_builtin

model = train_builtin(builtin_dataset(), builtin_written(), BUILTIN_NAME)
model.save(builtin_model_path())
print(f"saved {builtin_model_path()} ({model.info})")

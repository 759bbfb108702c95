"""The pipeline: feeds stored events through the stages (evaluate, detect, respond, ...) in
event-time order and runs their timers; used by `serve` (following the events table) and
`replay` (reading a file)."""

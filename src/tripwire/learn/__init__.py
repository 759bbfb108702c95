"""Learn: blameless post-mortems, action items, incident-to-eval-case export, readiness."""

"""The composition root: the only place that builds processes (`serve`, `worker`, `replay`,
the demo) from settings, config and a clock, with their stages, services and background work."""

from tripwire.runtime.wiring import Runtime

__all__ = ["Runtime"]

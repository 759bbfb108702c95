"""An OpenFeature provider backed by `client.flags` (Python `openfeature-sdk`).

```python
from openfeature import api
from tripwire.sdk.openfeature import TripwireProvider

api.set_provider(TripwireProvider(tripwire_client))
api.get_client().get_boolean_value("kill-support-chat", False)
```

Evaluation is the SDK's local lookup. Reasons: STATIC (value from a poll in this process),
CACHED (only the disk cache so far), STALE (the last poll failed; last-known value), DEFAULT
(the flag's declared default), ERROR with FLAG_NOT_FOUND, TYPE_MISMATCH or PROVIDER_NOT_READY.
A flag scoped to a use case is read with the evaluation context attribute `use_case`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from openfeature.evaluation_context import EvaluationContext
from openfeature.event import ProviderEventDetails
from openfeature.exception import ErrorCode
from openfeature.flag_evaluation import FlagMetadata, FlagResolutionDetails, FlagValueType, Reason
from openfeature.provider import AbstractProvider, Metadata

from tripwire.sdk.client import Client
from tripwire.sdk.flags.model import Flag

T = TypeVar("T")
Convert = Callable[[bool | str], Any]


@dataclass
class TripwireMetadata(Metadata):
    name: str = "Tripwire"


class TripwireProvider(AbstractProvider):
    """Resolves flags from a `tripwire.Client`; never raises (errors come back as details).
    Emits PROVIDER_CONFIGURATION_CHANGED when a flag flips, PROVIDER_STALE when polling fails
    and PROVIDER_READY when it recovers."""

    def __init__(self, client: Client, *, init_timeout: float = 5.0) -> None:
        super().__init__()
        self._client = client
        self._flags = client.flags
        self._init_timeout = init_timeout
        self._flags.on_change(self._changed)
        self._flags.on_health(self._health)

    def get_metadata(self) -> Metadata:
        return TripwireMetadata()

    def initialize(self, evaluation_context: EvaluationContext) -> None:
        # Ready with the disk cache or the first poll; without either, evaluations answer
        # PROVIDER_NOT_READY (the caller's default) until a poll succeeds.
        self._flags.wait_until_ready(self._init_timeout)

    def resolve_boolean_details(
        self,
        flag_key: str,
        default_value: bool,
        evaluation_context: EvaluationContext | None = None,
    ) -> FlagResolutionDetails[bool]:
        return self._resolve(flag_key, default_value, evaluation_context, _exact(bool))

    def resolve_string_details(
        self,
        flag_key: str,
        default_value: str,
        evaluation_context: EvaluationContext | None = None,
    ) -> FlagResolutionDetails[str]:
        return self._resolve(flag_key, default_value, evaluation_context, _exact(str))

    def resolve_integer_details(
        self,
        flag_key: str,
        default_value: int,
        evaluation_context: EvaluationContext | None = None,
    ) -> FlagResolutionDetails[int]:
        return self._resolve(flag_key, default_value, evaluation_context, _parsed(int))

    def resolve_float_details(
        self,
        flag_key: str,
        default_value: float,
        evaluation_context: EvaluationContext | None = None,
    ) -> FlagResolutionDetails[float]:
        return self._resolve(flag_key, default_value, evaluation_context, _parsed(float))

    def resolve_object_details(
        self,
        flag_key: str,
        default_value: Sequence[FlagValueType] | Mapping[str, FlagValueType],
        evaluation_context: EvaluationContext | None = None,
    ) -> FlagResolutionDetails[Sequence[FlagValueType] | Mapping[str, FlagValueType]]:
        return self._resolve(flag_key, default_value, evaluation_context, _json_object)

    def _resolve(
        self,
        key: str,
        default: T,
        context: EvaluationContext | None,
        convert: Convert,
    ) -> FlagResolutionDetails[T]:
        try:
            return self._lookup(key, default, context, convert)
        except Exception as exc:  # the OpenFeature contract: errors are details, not raises
            return _error(default, ErrorCode.GENERAL, f"{type(exc).__name__}: {exc}")

    def _lookup(
        self, key: str, default: T, context: EvaluationContext | None, convert: Convert
    ) -> FlagResolutionDetails[T]:
        status = self._flags.status
        if status.source == "none":
            return _error(default, ErrorCode.PROVIDER_NOT_READY, "no flags from Tripwire yet")
        use_case = (context.attributes if context is not None else {}).get("use_case")
        flag = self._flags.get(key, use_case if isinstance(use_case, str) else None)
        if flag is None:
            return _error(default, ErrorCode.FLAG_NOT_FOUND, f"no flag {key!r} in Tripwire")
        from_default = self._flags.serves_default(flag)
        raw = flag.default if from_default else flag.served
        if raw is None:
            return _error(default, ErrorCode.GENERAL, f"flag {key!r} has no usable value")
        try:
            value = convert(raw)
        except (TypeError, ValueError):
            return _error(default, ErrorCode.TYPE_MISMATCH, f"flag {key!r} is a {flag.type} flag")
        return FlagResolutionDetails(
            value=value,
            reason=Reason.DEFAULT if from_default else _reason(status.source, status.healthy),
            variant=_variant(raw),
            flag_metadata=_metadata(flag),
        )

    def _changed(self, keys: list[str]) -> None:
        self.emit_provider_configuration_changed(ProviderEventDetails(flags_changed=keys))

    def _health(self, healthy: bool) -> None:
        if healthy:
            self.emit_provider_ready(ProviderEventDetails(message="Tripwire answers again"))
        else:
            self.emit_provider_stale(
                ProviderEventDetails(message="cannot reach Tripwire; serving last-known values")
            )


def _reason(source: str, healthy: bool) -> Reason:
    if source == "disk":
        return Reason.CACHED
    return Reason.STATIC if healthy else Reason.STALE


def _error(default: T, code: ErrorCode, message: str) -> FlagResolutionDetails[T]:
    return FlagResolutionDetails(
        value=default, reason=Reason.ERROR, error_code=code, error_message=message
    )


def _variant(value: bool | str) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    return value


def _metadata(flag: Flag) -> FlagMetadata:
    meta: dict[str, bool | int | float | str] = {"type": flag.type}
    for name in ("use_case", "description", "version", "updated_at"):
        value = getattr(flag, name)
        if value is not None:
            meta[name] = value
    return meta


def _exact(kind: type) -> Convert:
    def convert(value: bool | str) -> Any:
        if type(value) is not kind:
            raise TypeError(kind.__name__)
        return value

    return convert


def _parsed(kind: type[int] | type[float]) -> Convert:
    """Numbers ride in string flags (Tripwire's flags are boolean or string)."""

    def convert(value: bool | str) -> Any:
        if not isinstance(value, str):
            raise TypeError(kind.__name__)
        return kind(value.strip())

    return convert


def _json_object(value: bool | str) -> Any:
    """Objects ride in string flags as JSON."""
    if not isinstance(value, str):
        raise TypeError("object")
    parsed = json.loads(value)
    if not isinstance(parsed, dict | list):
        raise TypeError("object")
    return parsed

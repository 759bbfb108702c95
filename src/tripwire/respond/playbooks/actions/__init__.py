"""The automatic steps a playbook may name, by `action`."""

from __future__ import annotations

from tripwire.respond.playbooks.actions import evidence, notify, response
from tripwire.respond.playbooks.actions.base import Action

ACTIONS: dict[str, Action] = {
    "page": response.page,
    "notify_group": notify.notify_group,
    "rank_suspects": response.rank,
    "rollback": response.roll_back,
    "mitigate": response.mitigate,
    "kill_switch": response.kill_switch,
    "sample_outputs": evidence.sample_outputs,
    "assess_exposure": evidence.assess_exposure,
    "capture_chain": evidence.capture_chain,
    "assess_pattern": evidence.assess_pattern,
}


def register_action(name: str, action: Action) -> None:
    """Add an automatic step (a plug-in) that playbooks can then name."""
    ACTIONS[name] = action

"""The anchor's agreements in force: a lapsed cooperation agreement or guarantee contract stops new business.

An agreement is current from ``signed_on`` to ``expires_on``, both days included: ``expires_on`` is the last
day of its term as the contract states it (合同有效期至 2030-01-14), so a three-year agreement signed on
2027-01-15 expires on 2030-01-14 and lapses on the 15th. For each kind, an anchor with at least one agreement
of that kind on file and none of it current may take no new batch and no drawdown on its programmes until a
current one is recorded. An anchor with no agreement of a kind on file is not held up by that kind.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils.translation import gettext as _

from core.error_codes import ErrorCode
from core.errors import DomainError
from partners.models import Agreement, Program


@dataclass(frozen=True)
class AgreementState:
    """One kind of agreement of an anchor on a day: the one in force, or the one that names the gap."""

    kind: str
    kind_label: str
    day: dt.date
    current: Agreement | None  # in force on the day (the one that runs longest)
    last: Agreement  # the latest-ending one on file: the lapsed one when none is current

    @property
    def lapsed(self) -> bool:
        return self.current is None

    @property
    def ended(self) -> bool:
        """Lapsed because the last one ended (not because it is signed to start later)."""
        return self.current is None and self.last.expires_on < self.day


def agreement_is_current(agreement: Agreement, day: dt.date) -> bool:
    return agreement.signed_on <= day <= agreement.expires_on


def agreements_state(anchor_id: int, day: dt.date) -> list[AgreementState]:
    """Per kind the anchor has on file (cooperation first), whether one is in force on ``day``."""
    states = []
    on_file = list(Agreement.objects.filter(anchor_id=anchor_id).order_by("-expires_on", "-id"))
    for kind in Agreement.Kind:
        of_kind = [agreement for agreement in on_file if agreement.kind == kind]
        if not of_kind:
            continue
        current = next((agreement for agreement in of_kind if agreement_is_current(agreement, day)), None)
        states.append(
            AgreementState(kind=kind.value, kind_label=str(kind.label), day=day, current=current, last=of_kind[0])
        )
    return states


def agreement_lapse_refusal(state: AgreementState) -> DomainError:
    last = state.last
    kind = state.kind_label.lower()
    if not state.ended:
        detail = _(
            "The %(kind)s %(number)s takes effect only on %(signed)s: no new batch or drawdown on this "
            "programme before a current one is in force."
        ) % {"kind": kind, "number": last.number, "signed": last.signed_on.isoformat()}
    else:
        detail = _(
            "The %(kind)s %(number)s ended on %(expires)s: no new batch or drawdown on this programme until a "
            "current one is recorded."
        ) % {"kind": kind, "number": last.number, "expires": last.expires_on.isoformat()}
    return DomainError(ErrorCode.AGREEMENT_EXPIRED, detail, agreement=last.pk)


def refuse_if_agreement_lapsed(program: Program, day: dt.date) -> None:
    """Refuse (``agreement_expired``) new business on a programme whose anchor's agreement lapsed."""
    for state in agreements_state(program.anchor_id, day):
        if state.lapsed:
            raise agreement_lapse_refusal(state)

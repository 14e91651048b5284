"""Small builders shared by service-level tests."""
from decimal import Decimal
from types import SimpleNamespace

from sqlmodel import select

from domain.enums import Channel, Role
from domain.models import Tip, User
from domain.schemas import ReporterIn, TipCreate, TransitionIn
from services.context import Actor
from services.runtime import Runtime
from services.tips import register_tip, transition_tip

REPORTER = ReporterIn(name="林秀英", phone="13812345678", id_number="34128219800101123X", address="界首市东城街道1号")


def actor(user: User) -> Actor:
    return Actor(user.id, user.display_name, Role(user.role), user.department_id)


def register(runtime: Runtime, clerk: User, *, anonymous: bool = False, institution_id: int = 1) -> SimpleNamespace:
    data = TipCreate(channel=Channel.PHONE, institution_id=institution_id, facts="挂床住院，虚构住院天数骗取医保基金",
                     amount_involved=Decimal("5000"), anonymous=anonymous, reporter=None if anonymous else REPORTER)
    with runtime.write(actor(clerk)) as ctx:
        return register_tip(ctx, data).tip


def send(runtime: Runtime, user: User, tip_id: int, event: str, **extra) -> SimpleNamespace:
    with runtime.write(actor(user)) as ctx:
        version = ctx.session.exec(select(Tip.version).where(Tip.id == tip_id)).one()
        return transition_tip(ctx, tip_id, TransitionIn(event=event, expected_version=version, **extra))

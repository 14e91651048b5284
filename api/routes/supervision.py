"""Supervision rounds and rectification (督导整改) under /api/v1/supervision."""
from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse
from sqlmodel import select

from api.deps import allow, get_runtime
from domain.coordination_models import SupervisionRound
from domain.coordination_schemas import EventIn, FindingCreate, FindingPublic, RoundCreate, RoundPublic, TextIn
from domain.enums import Role
from services import supervision as sv
from services import supervision_reports as reports
from services.context import Actor
from services.runtime import Runtime

router = APIRouter(prefix="/supervision", tags=["supervision"])
STAFF = (Role.SUPERVISOR, Role.SECTION_CHIEF, Role.HEAD, Role.AUDITOR, Role.ADMIN)
staff = allow(*STAFF)
staff_or_target = allow(*STAFF, Role.LIAISON)


@router.post("/rounds", response_model=RoundPublic, status_code=201)
def plan(body: RoundCreate, actor: Actor = Depends(staff), runtime: Runtime = Depends(get_runtime)):
    with runtime.write(actor) as ctx:
        return reports.round_public(ctx, sv.plan_round(ctx, body))


@router.get("/rounds", response_model=list[RoundPublic])
def rounds(actor: Actor = Depends(staff), runtime: Runtime = Depends(get_runtime)):
    with runtime.read(actor) as ctx:
        rows = ctx.session.exec(select(SupervisionRound).order_by(SupervisionRound.id.desc()))
        return [reports.round_public(ctx, r) for r in rows]


@router.post("/rounds/{round_id}/transitions", response_model=RoundPublic)
def move_round(round_id: int, body: EventIn, actor: Actor = Depends(staff), runtime: Runtime = Depends(get_runtime)):
    with runtime.write(actor) as ctx:
        return reports.round_public(ctx, sv.transition_round(ctx, round_id, body))


@router.post("/rounds/{round_id}/findings", response_model=FindingPublic, status_code=201)
def issue(round_id: int, body: FindingCreate, actor: Actor = Depends(staff), runtime: Runtime = Depends(get_runtime)):
    with runtime.write(actor) as ctx:
        return reports.finding_public(ctx, sv.issue_finding(ctx, round_id, body))


@router.post("/rounds/{round_id}/assessment", response_model=RoundPublic)
def assess(round_id: int, body: TextIn, actor: Actor = Depends(staff), runtime: Runtime = Depends(get_runtime)):
    """舆情评估, required before publication."""
    with runtime.write(actor) as ctx:
        return reports.round_public(ctx, reports.record_assessment(ctx, round_id, body.text))


@router.post("/rounds/{round_id}/publication-approval", response_model=RoundPublic)
def approve(round_id: int, actor: Actor = Depends(staff), runtime: Runtime = Depends(get_runtime)):
    with runtime.write(actor) as ctx:
        return reports.round_public(ctx, reports.approve_publication(ctx, round_id))


@router.post("/rounds/{round_id}/publish", response_model=RoundPublic)
def publish(round_id: int, actor: Actor = Depends(staff), runtime: Runtime = Depends(get_runtime)):
    """Refused (409) without a recorded assessment and an approval."""
    with runtime.write(actor) as ctx:
        return reports.round_public(ctx, reports.publish(ctx, round_id))


@router.get("/rounds/{round_id}/report", response_class=HTMLResponse)
def government_report(round_id: int, actor: Actor = Depends(staff), runtime: Runtime = Depends(get_runtime)):
    """督导情况书面报告, generated from the round's data."""
    with runtime.read(actor) as ctx:
        return reports.render_government_report(ctx, round_id)


@router.get("/findings", response_model=list[FindingPublic])
def findings(actor: Actor = Depends(staff_or_target), runtime: Runtime = Depends(get_runtime)):
    """A target unit's liaison sees only its own findings."""
    with runtime.read(actor) as ctx:
        return [reports.finding_public(ctx, f) for f in reports.list_findings(ctx)]


@router.get("/findings/{finding_id}", response_model=FindingPublic)
def finding(finding_id: int, actor: Actor = Depends(staff_or_target), runtime: Runtime = Depends(get_runtime)):
    with runtime.read(actor) as ctx:
        return reports.finding_public(ctx, sv.load_finding(ctx, finding_id))


@router.post("/findings/{finding_id}/transitions", response_model=FindingPublic)
def move_finding(finding_id: int, body: EventIn, actor: Actor = Depends(staff_or_target),
                 runtime: Runtime = Depends(get_runtime)):
    with runtime.write(actor) as ctx:
        return reports.finding_public(ctx, sv.transition_finding(ctx, finding_id, body))


@router.get("/findings/{finding_id}/notice", response_class=HTMLResponse)
def notice(finding_id: int, actor: Actor = Depends(staff_or_target), runtime: Runtime = Depends(get_runtime)):
    """整改通知书."""
    with runtime.read(actor) as ctx:
        return reports.render_notice(ctx, finding_id)

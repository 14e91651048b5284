"""Information reports (信息报告) under /api/v1/info-reports."""
from fastapi import APIRouter, Depends, Query

from api.deps import allow, get_runtime
from domain.enums import Role
from domain.meeting_schemas import InfoEventIn, InfoReportPublic, InfoSubmitIn, MajorReportIn
from services import info_reports as info
from services.context import Actor
from services.runtime import Runtime

router = APIRouter(prefix="/info-reports", tags=["info-reports"])
reporters = allow(Role.GRID_INSPECTOR, Role.TOWNSHIP_ADMIN)
readers = allow(Role.GRID_INSPECTOR, Role.TOWNSHIP_ADMIN, Role.MEETING_OFFICE, Role.CONVENER, Role.HEAD)
receivers = allow(Role.TOWNSHIP_ADMIN, Role.MEETING_OFFICE)


@router.get("", response_model=list[InfoReportPublic])
def reports(kind: str | None = Query(default=None, pattern=r"^(weekly|monthly|major)$"),
            actor: Actor = Depends(readers), runtime: Runtime = Depends(get_runtime)):
    """Own reports; a township's administrator also its village supervisors'; the city office all."""
    with runtime.read(actor) as ctx:
        return [info.info_public(ctx, r) for r in info.list_reports(ctx, kind=kind)]


@router.get("/overdue", response_model=list[InfoReportPublic])
def overdue(actor: Actor = Depends(readers), runtime: Runtime = Depends(get_runtime)):
    """Late and missing reports within the caller's township (or the whole city for the office)."""
    with runtime.read(actor) as ctx:
        return [info.info_public(ctx, r) for r in info.list_reports(ctx, overdue=True)]


@router.post("/major", response_model=InfoReportPublic, status_code=201)
def major(body: MajorReportIn, actor: Actor = Depends(reporters), runtime: Runtime = Depends(get_runtime)):
    """重大信息, reported at once; flagged late past the policy's hours from when it was found."""
    with runtime.write(actor) as ctx:
        return info.info_public(ctx, info.report_major(ctx, body))


@router.get("/{report_id}", response_model=InfoReportPublic)
def report(report_id: int, actor: Actor = Depends(readers), runtime: Runtime = Depends(get_runtime)):
    with runtime.read(actor) as ctx:
        return info.info_public(ctx, info.load_report(ctx, report_id))


@router.post("/{report_id}/submission", response_model=InfoReportPublic)
def submit(report_id: int, body: InfoSubmitIn, actor: Actor = Depends(reporters),
           runtime: Runtime = Depends(get_runtime)):
    """Paper, network or phone; classified never over the network (422, field channel)."""
    with runtime.write(actor) as ctx:
        return info.info_public(ctx, info.submit(ctx, report_id, body))


@router.post("/{report_id}/transitions", response_model=InfoReportPublic)
def review(report_id: int, body: InfoEventIn, actor: Actor = Depends(receivers),
           runtime: Runtime = Depends(get_runtime)):
    """accept, or return_report for correction (补正) with a reason."""
    with runtime.write(actor) as ctx:
        return info.info_public(ctx, info.review(ctx, report_id, body))

"""Evidence files of a tip (举报证据): checked like referral attachments, kept with their SHA-256, audited."""
import hashlib
from pathlib import PurePath

from domain.enums import Role
from domain.models import Tip, TipEvidence
from services import audit
from services.attachments import check_file
from services.authz import require_role
from services.context import Context
from services.errors import NotFound

EVIDENCE_ROLES = {Role.DESK_CLERK, Role.INVESTIGATOR, Role.SECTION_CHIEF, Role.HEAD}


def add_evidence(ctx: Context, tip_id: int, *, filename: str, content: bytes) -> TipEvidence:
    require_role(ctx, EVIDENCE_ROLES, action="上传证据")
    if ctx.session.get(Tip, tip_id) is None:
        raise NotFound(f"举报 {tip_id} 不存在")
    name = PurePath(filename or "").name[:200]
    content_type = check_file(name, content)
    row = TipEvidence(tip_id=tip_id, uploaded_by=ctx.actor.id, uploaded_at=ctx.now, filename=name,
                      content_type=content_type, size=len(content), sha256=hashlib.sha256(content).hexdigest(),
                      content=content)
    ctx.session.add(row)
    ctx.session.flush()
    audit.record(ctx, subject_type="tip", subject_id=tip_id, action="evidence_added",
                 detail={"file": name, "sha256": row.sha256, "size": row.size})
    return row

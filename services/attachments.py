"""Files attached to referrals by either side: type and size checked, stored with their SHA-256."""
import hashlib
from pathlib import PurePath

from domain.referral_models import ReferralAttachment
from services import audit
from services.context import Context
from domain.enums import Role
from services.errors import Forbidden, InvalidInput
from services.referrals import SUBJECT, load_visible

MAX_BYTES = 10 * 1024 * 1024
UPLOADERS = frozenset({Role.INVESTIGATOR, Role.SECTION_CHIEF, Role.HEAD})
# extension -> (content type, leading bytes a real file of that type starts with, or None: text)
ALLOWED = {
    ".pdf": ("application/pdf", b"%PDF-"), ".png": ("image/png", b"\x89PNG\r\n\x1a\n"),
    ".jpg": ("image/jpeg", b"\xff\xd8\xff"), ".jpeg": ("image/jpeg", b"\xff\xd8\xff"),
    ".docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", b"PK\x03\x04"),
    ".xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", b"PK\x03\x04"),
    ".txt": ("text/plain", None),
}


def check_file(filename: str, content: bytes) -> str:
    """The file's content type, if its name, size and first bytes agree; else a Chinese error."""
    suffix = PurePath(filename).suffix.lower()
    if suffix not in ALLOWED:
        raise InvalidInput("file", f"不支持的文件类型，允许：{'、'.join(sorted(ALLOWED))}")
    if not content:
        raise InvalidInput("file", "文件为空")
    if len(content) > MAX_BYTES:
        raise InvalidInput("file", f"文件超过 {MAX_BYTES // (1024 * 1024)} MB")
    content_type, magic = ALLOWED[suffix]
    if magic is not None and not content.startswith(magic):
        raise InvalidInput("file", "文件内容与扩展名不符")
    if magic is None:
        try:
            content.decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidInput("file", "文本文件须为 UTF-8 编码") from None
    return content_type


def add_attachment(ctx: Context, referral_id: int, *, filename: str, content: bytes) -> ReferralAttachment:
    """Attach a file to a referral the actor may see; the upload is audited with its hash."""
    referral = load_visible(ctx, referral_id)
    uploader_ok = ctx.actor.role in UPLOADERS or (
        ctx.actor.role == Role.LIAISON and ctx.actor.department_id == referral.department_id)
    if not uploader_ok:
        raise Forbidden("只有办案人员和接收单位可以上传附件")
    name = PurePath(filename or "").name[:200]
    content_type = check_file(name, content)
    attachment = ReferralAttachment(referral_id=referral.id, uploaded_by=ctx.actor.id, uploaded_at=ctx.now,
                                    filename=name, content_type=content_type, size=len(content),
                                    sha256=hashlib.sha256(content).hexdigest(), content=content)
    ctx.session.add(attachment)
    ctx.session.flush()
    audit.record(ctx, subject_type=SUBJECT, subject_id=referral.id, action="attach",
                 detail={"file": name, "sha256": attachment.sha256, "size": attachment.size})
    return attachment

"""Enumerations with their Chinese labels (the labels are what pages show)."""
from enum import StrEnum


class Role(StrEnum):
    DESK_CLERK = "desk_clerk"          # 举报受理人员
    INVESTIGATOR = "investigator"      # 承办人
    SECTION_CHIEF = "section_chief"    # 基金监管科负责人
    HEAD = "head"                      # 局负责人
    LIAISON = "liaison"                # 部门联络员
    MEETING_OFFICE = "meeting_office"  # 联席会议办公室
    AUDITOR = "auditor"                # 审计
    ADMIN = "admin"                    # 系统管理员
    SUPERVISOR = "supervisor"          # 督导组
    CONVENER = "convener"              # 联席会议召集人
    GRID_INSPECTOR = "grid_inspector"  # 村级义务监督员 / 网格员
    TOWNSHIP_ADMIN = "township_admin"  # 乡镇（街道）医保管理员


ROLE_LABELS = {
    Role.DESK_CLERK: "举报受理员", Role.INVESTIGATOR: "承办人", Role.SECTION_CHIEF: "科室负责人",
    Role.HEAD: "局领导", Role.LIAISON: "部门联络员", Role.MEETING_OFFICE: "联席会议办公室",
    Role.AUDITOR: "审计员", Role.ADMIN: "系统管理员", Role.SUPERVISOR: "督导组", Role.CONVENER: "联席会议召集人",
    Role.GRID_INSPECTOR: "村级监督员", Role.TOWNSHIP_ADMIN: "乡镇医保管理员",
}


class Channel(StrEnum):
    PHONE = "phone"
    LETTER = "letter"
    WALK_IN = "walk_in"
    WEB = "web"
    GRID_INSPECTOR = "grid_inspector"
    OTHER_DEPARTMENT = "other_department"
    UPPER_ASSIGNMENT = "upper_assignment"
    SMART_MONITORING = "smart_monitoring"


CHANNEL_LABELS = {
    Channel.PHONE: "电话", Channel.LETTER: "信函", Channel.WALK_IN: "来访", Channel.WEB: "网络",
    Channel.GRID_INSPECTOR: "网格员", Channel.OTHER_DEPARTMENT: "部门移交",
    Channel.UPPER_ASSIGNMENT: "上级交办", Channel.SMART_MONITORING: "智能监控",
}


class Finding(StrEnum):
    SUBSTANTIATED = "substantiated"          # 查实
    PARTLY_SUBSTANTIATED = "partly"          # 部分属实
    UNSUBSTANTIATED = "unsubstantiated"      # 不实


FINDING_LABELS = {
    Finding.SUBSTANTIATED: "查实", Finding.PARTLY_SUBSTANTIATED: "部分属实", Finding.UNSUBSTANTIATED: "不实",
}


class RejectionGround(StrEnum):
    """Coded grounds for 不予受理 (令第5号, as restated in domain-rules §2)."""

    NO_SPECIFIC_CLUE = "no_specific_clue"
    ALREADY_HANDLED = "already_handled"
    OTHER_PROCEDURE = "other_procedure"
    DUPLICATE_IN_PROGRESS = "duplicate_in_progress"
    OUT_OF_SCOPE = "out_of_scope"


REJECTION_GROUND_LABELS = {
    RejectionGround.NO_SPECIFIC_CLUE: "无明确被举报对象或具体线索",
    RejectionGround.ALREADY_HANDLED: "已依法处理且无新证据",
    RejectionGround.OTHER_PROCEDURE: "属诉讼、仲裁、复议等程序处理事项",
    RejectionGround.DUPLICATE_IN_PROGRESS: "与正在办理的举报重复",
    RejectionGround.OUT_OF_SCOPE: "不属于医保基金监管范围",
}


class DeadlineStatus(StrEnum):
    OPEN = "open"
    PAUSED = "paused"
    MET = "met"
    CANCELLED = "cancelled"


class OutboxStatus(StrEnum):
    PENDING = "pending"      # waiting for (another) attempt
    SENDING = "sending"      # claimed by a relay; a crash here leaves it for the lease check
    SENT = "sent"
    FAILED = "failed"        # gave up after the last retry: visible, never silently dropped
    UNCERTAIN = "uncertain"  # a relay died mid-send: not resent automatically, shown for a person to check
    CANCELLED = "cancelled"  # its deadline was met or its case closed before delivery


class InstitutionKind(StrEnum):
    HOSPITAL = "hospital"
    PHARMACY = "pharmacy"
    CLINIC = "clinic"


INSTITUTION_KIND_LABELS = {
    InstitutionKind.HOSPITAL: "定点医院", InstitutionKind.PHARMACY: "定点药店", InstitutionKind.CLINIC: "诊所",
}

"""Demo data for a fresh system: departments, one user per role, institutions, tips in several stages."""
from dataclasses import dataclass
from functools import lru_cache
from datetime import timedelta
from decimal import Decimal

from sqlmodel import select

from domain.enums import Channel, Finding, InstitutionKind, Role
from domain.models import Department, Institution, Tip, User
from domain.schemas import ReporterIn, TipCreate, TransitionIn
from services.context import Actor
from services.runtime import Runtime
from services.tips import register_tip, transition_tip
from services.users import hash_password

DEMO_PASSWORD = "Demo@2026"


@dataclass(frozen=True)
class DemoUser:
    username: str
    display_name: str
    role: Role
    department: str = "ybj"


DEMO_USERS = (
    DemoUser("desk", "王受理", Role.DESK_CLERK),
    DemoUser("investigator", "李承办", Role.INVESTIGATOR),
    DemoUser("investigator2", "赵承办", Role.INVESTIGATOR),
    DemoUser("chief", "张科长", Role.SECTION_CHIEF),
    DemoUser("head", "陈局长", Role.HEAD),
    DemoUser("police", "刘警官", Role.LIAISON, "gaj"),
    DemoUser("procurator", "吴检察官", Role.LIAISON, "jcy"),
    DemoUser("discipline", "郑纪检", Role.LIAISON, "jwjw"),
    DemoUser("health", "冯卫健", Role.LIAISON, "wjw"),
    DemoUser("office", "孙办公室", Role.MEETING_OFFICE),
    DemoUser("auditor", "周审计", Role.AUDITOR),
    DemoUser("admin", "系统管理员", Role.ADMIN),
    DemoUser("supervisor", "何督导", Role.SUPERVISOR),
    DemoUser("convener", "黄副市长", Role.CONVENER, "zf"),
    DemoUser("market", "钱市监", Role.LIAISON, "scjg"),
    DemoUser("township", "马乡镇", Role.LIAISON, "gwz"),
    DemoUser("township_admin", "杨管理员", Role.TOWNSHIP_ADMIN, "gwz"),
    DemoUser("grid", "许监督员", Role.GRID_INSPECTOR, "gwz"),
)
# Member units of the joint meeting from the seed (界政办秘〔2021〕18号 annex 5), flagged member.
DEPARTMENTS = (
    ("ybj", "市医疗保障局", "office", True), ("gaj", "市公安局", "police", True),
    ("jcy", "市人民检察院", "procuratorate", True), ("jwjw", "市纪委监委", "discipline", True),
    ("wjw", "市卫生健康委员会", "health", True), ("scjg", "市市场监督管理局", "market_regulation", True),
    ("fy", "市人民法院", "court", True), ("cz", "市财政局", "finance", True), ("sf", "市司法局", "justice", True),
    ("mz", "市民政局", "civil_affairs", True), ("rs", "市人力资源和社会保障局", "human_resources", True),
    ("sw", "市税务局", "tax", True), ("tyjr", "市退役军人事务局", "veterans", True),
    ("xczx", "市乡村振兴局", "rural_revitalization", True), ("fg", "市发展和改革委员会", "development", True),
    ("sj", "市审计局", "audit", True), ("zf", "市人民政府", "government", False),
    ("gwz", "光武镇人民政府", "township", False),
)
INSTITUTIONS = (
    ("H001", "界首市人民医院", InstitutionKind.HOSPITAL, "东城街道"),
    ("H002", "界首市中医院", InstitutionKind.HOSPITAL, "西城街道"),
    ("H003", "界首市光武镇卫生院", InstitutionKind.HOSPITAL, "光武镇"),
    ("H004", "界首康复医院", InstitutionKind.HOSPITAL, "颍南街道"),
    ("P001", "界首市百姓大药房东城店", InstitutionKind.PHARMACY, "东城街道"),
    ("P002", "界首市仁和堂药店", InstitutionKind.PHARMACY, "砖集镇"),
    ("C001", "界首市田营镇李氏诊所", InstitutionKind.CLINIC, "田营镇"),
)


def _member_liaisons() -> tuple[DemoUser, ...]:
    """A liaison (联络员) for each member unit that has no named demo liaison, e.g. lx_fy."""
    named = {u.department for u in DEMO_USERS if u.role == Role.LIAISON}
    return tuple(DemoUser(f"lx_{code}", f"{name}联络员", Role.LIAISON, code)
                 for code, name, _kind, member in DEPARTMENTS if member and code not in named and code != "ybj")


def already_loaded(runtime: Runtime) -> bool:
    with runtime.db.read() as session:
        return session.exec(select(User).limit(1)).first() is not None


@lru_cache
def _demo_password_hash() -> str:
    return hash_password(DEMO_PASSWORD)  # one argon2 hash for every demo user (same password)


def load_reference(runtime: Runtime) -> dict[str, User]:
    """Departments, institutions and one user per role (what tests and the demo both start from)."""
    with runtime.write(Actor(None, "演示数据", None)) as ctx:
        departments = {code: Department(code=code, name=name, kind=kind, member=member)
                       for code, name, kind, member in DEPARTMENTS}
        ctx.session.add_all(departments.values())
        ctx.session.add_all(Institution(code=c, name=n, kind=k, district=d) for c, n, k, d in INSTITUTIONS)
        ctx.session.flush()
        users = {u.username: User(username=u.username, display_name=u.display_name, role=u.role.value,
                                  password_hash=_demo_password_hash(), department_id=departments[u.department].id)
                 for u in DEMO_USERS + _member_liaisons()}
        ctx.session.add_all(users.values())
    return users


def load_demo(runtime: Runtime) -> bool:
    """Load the demo set once; returns False when users already exist."""
    if already_loaded(runtime):
        return False
    _demo_tips(runtime, load_reference(runtime))
    return True


def _actor(user: User) -> Actor:
    return Actor(user.id, user.display_name, Role(user.role), user.department_id)


def _demo_tips(runtime: Runtime, users: dict[str, User]) -> None:
    """A handful of tips at different stages, registered over the past weeks."""
    desk, chief, inv = _actor(users["desk"]), _actor(users["chief"]), _actor(users["investigator"])
    base = runtime.clock()
    samples = [
        (Channel.PHONE, 1, "住院病人挂床住院，实际未在院治疗，医院按住院结算医保基金。", "12000", False, 30),
        (Channel.WALK_IN, 5, "药店以医保卡刷卡购买生活用品，并收取现金差价。", "3500", True, 20),
        (Channel.WEB, 3, "卫生院虚构诊疗项目，伪造病历骗取医保基金。", "86000", False, 10),
        (Channel.GRID_INSPECTOR, 7, "诊所重复收费、串换药品。", None, True, 2),
        (Channel.LETTER, 2, "中医院将自费项目串换为医保项目结算。", "24000", False, 40),  # left overdue
    ]
    tips = []
    for i, (channel, inst, facts, amount, anonymous, days_ago) in enumerate(samples):
        reporter = None if anonymous else ReporterIn(name=f"举报人{i + 1}", phone=f"1390000000{i}")
        data = TipCreate(channel=channel, institution_id=inst, facts=facts, anonymous=anonymous,
                         amount_involved=Decimal(amount) if amount else None, reporter=reporter)
        runtime_at = _at(runtime, base - timedelta(days=days_ago))
        with runtime_at.write(desk) as ctx:
            tips.append(register_tip(ctx, data).tip)
    steps = [(0, chief, "accept", {}), (0, desk, "notify_decision", {}), (0, inv, "start_investigation", {}),
             (0, inv, "conclude", {"finding": Finding.SUBSTANTIATED, "amount_confirmed": Decimal("12000")}),
             (1, chief, "accept", {}), (1, inv, "start_investigation", {})]
    for index, actor, event, extra in steps:
        tip = tips[index]
        with runtime.write(actor) as ctx:
            current = ctx.session.get(Tip, tip.id)
            transition_tip(ctx, tip.id, TransitionIn(event=event, expected_version=current.version,
                                                     reason="演示数据", **extra))


def _at(runtime: Runtime, moment) -> Runtime:
    return Runtime(db=runtime.db, policy=runtime.policy, clock=lambda: moment)

"""Handlers of the `fundwatch` sub-commands (thin: they call services)."""
import json
from pathlib import Path

from db.engine import get_database
from db.migrate import upgrade
from domain.calendar import CalendarDataError, Unit, YearSchedule, load_year_files, parse_start
from domain.policy import load_policy
from services.calendar import get_calendar, load_year, load_year_schedule
from services.context import SYSTEM
from services.demo import DEMO_PASSWORD, DEMO_USERS, load_demo
from services.runtime import Runtime, system_clock
from settings import get_settings


class UsageError(Exception):
    """Bad input on the command line: printed as JSON, exit code 2."""


def _runtime() -> Runtime:
    settings = get_settings()
    return Runtime(db=get_database(), policy=load_policy(settings.policy_file))


def db_upgrade(_args) -> None:
    upgrade(get_settings().database_url)
    print("database at head")


def _load_shipped_years() -> int:
    """Load the repo's data/calendar/<year>.json files (years chinese-calendar does not know)."""
    years = load_year_files(get_settings().calendar_dir)
    with get_database().write() as session:
        for schedule in years.values():
            load_year(session, schedule, now=system_clock(), policy=load_policy(get_settings().policy_file))
    return len(years)


def setup(args) -> None:
    db_upgrade(args)
    print(f"calendar years loaded from data/calendar: {_load_shipped_years()}")
    if not args.no_demo:
        demo_load(args)


def demo_load(_args) -> None:
    print("demo data loaded" if load_demo(_runtime()) else "demo data already present")
    demo_users(_args)


def demo_users(_args) -> None:
    print(f"demo log-ins (password {DEMO_PASSWORD}):")
    for user in DEMO_USERS:
        print(f"  {user.username:<14} {user.display_name}  ({user.role.value})")
    print("  lx_<code>      liaisons of the other joint-meeting member units, e.g. lx_fy (市人民法院)")


def calendar_due(args) -> None:
    try:
        unit = Unit(args.unit)
    except ValueError:
        raise UsageError(f"unit must be one of {[u.value for u in Unit]}") from None
    if args.amount < 0:
        raise UsageError("amount must be a whole number >= 0")
    try:
        start = parse_start(args.start)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    upgrade(get_settings().database_url)  # loaded years live in the database
    with get_database().read() as session:
        try:
            print(json.dumps(get_calendar(session).due(start, args.amount, unit).to_json()))
        except ValueError as exc:
            raise UsageError(str(exc)) from None


def calendar_load_year(args) -> None:
    """The same use case as the admin page's form (validated, stored, audited as the system)."""
    path = Path(args.file)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        YearSchedule.from_json(data)  # refuse bad data before touching the database
    except (OSError, json.JSONDecodeError, CalendarDataError) as exc:
        raise UsageError(f"{path}: {exc}") from None
    upgrade(get_settings().database_url)
    with _runtime().write(SYSTEM) as ctx:
        schedule, moved = load_year_schedule(ctx, data)
    print(json.dumps({"year": schedule.year, "provisional_deadlines_recomputed": moved}))


def run(args) -> None:
    from cli.launcher import run_stack

    setup(args)
    settings = get_settings()
    run_stack(settings, host=args.host or settings.host, port=args.port or settings.port, prefect=not args.no_prefect)


def audit_verify(_args) -> int:
    """Exit 0 when the chain holds; 1, naming the first broken row, when it does not."""
    from services.audit import verify_chain

    with get_database().read() as session:
        report = verify_chain(session)
    if report.intact:
        print(json.dumps({"intact": True, "rows": report.rows}))
        return 0
    print(json.dumps({"intact": False, "rows_verified": report.rows, "first_broken_id": report.broken_id,
                      "first_broken_seq": report.broken_seq, "reason": report.reason}, ensure_ascii=False))
    return 1


def backup_db(args) -> None:
    from db.backup import BackupError, backup

    try:
        pages = backup(get_settings().database_url, Path(args.file))
    except BackupError as exc:
        raise UsageError(str(exc)) from None
    print(json.dumps({"backup": args.file, "pages": pages}))


def restore_db(args) -> int:
    """Restore, then verify the audit chain of what was restored."""
    from db.backup import BackupError, restore

    try:
        restore(get_settings().database_url, Path(args.file))
    except BackupError as exc:
        raise UsageError(str(exc)) from None
    print(json.dumps({"restored": args.file}))
    return audit_verify(args)


def identity_new_key(_args) -> None:
    from cryptography.fernet import Fernet

    print(Fernet.generate_key().decode())


def identity_rekey(_args) -> None:
    """Rotation: put the new key first in FUNDWATCH_IDENTITY_KEYS (old ones after), run this, drop the old."""
    from services.sealed_rows import reseal_all

    upgrade(get_settings().database_url)
    with get_database().write() as session:
        print(json.dumps({"resealed": reseal_all(session)}))

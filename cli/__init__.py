"""The `fundwatch` command: set up, run, and administer the system."""
import argparse
import json
import sys

from cli import commands


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="fundwatch", description="FundWatch 医保基金监管协同工作流")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = sub.add_parser("run", help="set up, then run Prefect server + API + pages + scheduled flows")
    run.add_argument("--host", default=None)
    run.add_argument("--port", type=int, default=None)
    run.add_argument("--no-demo", action="store_true", help="do not load demo data")
    run.add_argument("--no-prefect", action="store_true", help="API and pages only (no flows)")
    run.set_defaults(handler=commands.run)

    setup = sub.add_parser("setup", help="migrate the database, load calendar years and demo data once")
    setup.add_argument("--no-demo", action="store_true")
    setup.set_defaults(handler=commands.setup)

    db = sub.add_parser("db", help="database").add_subparsers(dest="db_command", required=True)
    db.add_parser("upgrade", help="apply migrations").set_defaults(handler=commands.db_upgrade)

    cal = sub.add_parser("calendar", help="working-day calendar").add_subparsers(dest="cal_command", required=True)
    due = cal.add_parser("due", help="print {due, provisional} as JSON")
    due.add_argument("--start", required=True, help="YYYY-MM-DD or ISO datetime (Asia/Shanghai)")
    due.add_argument("--amount", required=True, type=int)
    due.add_argument("--unit", required=True, help="working_days | calendar_days | hours | months")
    due.set_defaults(handler=commands.calendar_due)
    load = cal.add_parser("load-year", help="load a year's holiday schedule (JSON) and recount provisional deadlines")
    load.add_argument("file")
    load.set_defaults(handler=commands.calendar_load_year)

    audit = sub.add_parser("audit", help="tamper-evident audit log").add_subparsers(dest="audit_command", required=True)
    audit.add_parser("verify", help="check the hash chain; names the first broken row").set_defaults(
        handler=commands.audit_verify)

    identity = sub.add_parser("identity", help="sealed identities").add_subparsers(dest="identity_command",
                                                                                  required=True)
    identity.add_parser("new-key", help="print a fresh key for FUNDWATCH_IDENTITY_KEYS").set_defaults(
        handler=commands.identity_new_key)
    identity.add_parser("rekey", help="re-seal every identity with the first configured key").set_defaults(
        handler=commands.identity_rekey)

    backup = sub.add_parser("backup", help="online backup of the SQLite database to a new file")
    backup.add_argument("file")
    backup.set_defaults(handler=commands.backup_db)
    restore = sub.add_parser("restore", help="restore the SQLite database from a backup (stop the system first)")
    restore.add_argument("file")
    restore.set_defaults(handler=commands.restore_db)

    demo = sub.add_parser("demo", help="demo data").add_subparsers(dest="demo_command", required=True)
    demo.add_parser("load", help="load demo data if the database has no users").set_defaults(handler=commands.demo_load)
    demo.add_parser("users", help="list the demo log-ins").set_defaults(handler=commands.demo_users)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args) or 0
    except commands.UsageError as exc:
        print(json.dumps({"error": str(exc)}, ensure_ascii=False), file=sys.stderr)
        return 2

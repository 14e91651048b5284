"""The password policy: what a new or changed password must be."""
import re

from services.errors import InvalidInput

MIN_LENGTH = 10
COMMON = {"password123", "qwertyuiop", "1234567890", "abcdefghij", "admin12345", "fundwatch123"}


def check_password(password: str, *, username: str) -> None:
    """Refuse a weak password with a Chinese reason (field: password)."""
    problems = []
    if len(password) < MIN_LENGTH:
        problems.append(f"至少 {MIN_LENGTH} 位")
    if not re.search(r"[A-Za-z]", password) or not re.search(r"\d", password):
        problems.append("须同时包含字母和数字")
    if username and username.lower() in password.lower():
        problems.append("不能包含用户名")
    if password.lower() in COMMON:
        problems.append("过于常见")
    if problems:
        raise InvalidInput("password", "密码不符合要求：" + "，".join(problems))

"""Form fields to the services' input models, and pydantic errors to Chinese messages per form field."""
from pydantic import ValidationError

from api.errors import status_of
from services.errors import Forbidden, InvalidInput, StaleVersion, TransitionRefused

# Fields entered by choosing from a list: a missing or malformed value means "choose one".
CHOICES = {"channel", "institution_id", "anonymous", "ground", "finding", "handler_id", "event"}
PATTERN_MESSAGES = {
    "reporter_phone": "电话号码格式不正确：应为 5–20 位数字，可含 +、- 和空格",
    "reporter_id_number": "身份证号格式不正确：应为 18 位，末位可为 X",
}
MESSAGES = {
    "string_too_short": "至少填写 {min_length} 个字",
    "string_too_long": "最多 {max_length} 个字",
    "too_long": "最多 {max_length} 项",
    "string_pattern_mismatch": "格式不正确",
    "decimal_parsing": "请输入数字金额，如 1200 或 1200.50",
    "decimal_type": "请输入数字金额，如 1200 或 1200.50",
    "finite_number": "请输入有效的数字",
    "decimal_max_places": "最多保留 {decimal_places} 位小数",
    "decimal_max_digits": "数值过大：最多 {max_digits} 位数字",
    "decimal_whole_digits": "数值过大：整数部分位数过多",
    "int_parsing": "请输入整数",
    "int_type": "请输入整数",
    "greater_than_equal": "不能小于 {ge}",
    "greater_than": "必须大于 {gt}",
    "less_than_equal": "不能大于 {le}",
    "enum": "请从列表中选择",
    "bool_parsing": "请选择",
}
REPORTER_FIELDS = ("name", "phone", "id_number", "address")
TRANSITION_FIELDS = ("event", "expected_version", "reason", "ground", "transferred_to", "handler_id",
                     "finding", "amount_confirmed", "amount_recovered")


def _filled(form: dict[str, str], keys, prefix: str = "") -> dict[str, str]:
    """The non-blank fields among `keys` (read as prefix + key), stripped."""
    return {key: value for key in keys if (value := (form.get(prefix + key) or "").strip())}


def tip_create_input(form: dict[str, str]) -> dict:
    """TipCreate's input from the registration form; blank fields are left out (missing / default)."""
    data: dict = _filled(form, ("channel", "institution_id", "facts", "amount_involved", "intake_key"))
    data["evidence"] = [line.strip() for line in form.get("evidence", "").splitlines() if line.strip()]
    anonymity = form.get("anonymity")
    if anonymity in ("anonymous", "real_name"):
        data["anonymous"] = anonymity == "anonymous"
    reporter = _filled(form, REPORTER_FIELDS, prefix="reporter_")
    if reporter:
        data["reporter"] = reporter
    return data


def transition_input(form: dict[str, str]) -> dict:
    """TransitionIn's input from one event form."""
    return _filled(form, TRANSITION_FIELDS)


def duplicate_input(form: dict[str, str]) -> dict:
    """DuplicateLinkIn's input from the duplicate form."""
    return _filled(form, ("earlier_tip_id", "expected_version", "reason"))


def field_name(loc: tuple) -> str:
    """The form field an error location points at: ('reporter', 'phone') -> reporter_phone."""
    return "_".join(str(part) for part in loc if not isinstance(part, int)) or "_form"


MODEL_ERRORS = {  # TipCreate's check that the identity matches the anonymity choice
    "reporter_forbidden": ("anonymous", "匿名举报不得填写举报人身份信息：请清空举报人信息，或改选实名举报"),
    "reporter_required": ("reporter_name", "实名举报须填写举报人姓名"),
}


def field_message(kind: str, ctx: dict, field: str) -> str:
    """One pydantic error type as a Chinese sentence."""
    if kind == "missing" or (kind == "string_too_short" and ctx.get("min_length") == 1):
        return "请选择" if field in CHOICES else "此项必填"
    if field in CHOICES and kind in ("int_parsing", "greater_than", "enum", "bool_parsing"):
        return "请从列表中选择"
    if kind == "string_pattern_mismatch" and field in PATTERN_MESSAGES:
        return PATTERN_MESSAGES[field]
    template = MESSAGES.get(kind)
    return template.format(**ctx) if template else "输入不正确"


def translate(exc: ValidationError) -> dict[str, str]:
    """Chinese messages keyed by form field (the first error of each field)."""
    errors: dict[str, str] = {}
    for error in exc.errors():
        field = field_name(error["loc"])
        if error["type"] in MODEL_ERRORS:
            field, text = MODEL_ERRORS[error["type"]]
        else:
            text = field_message(error["type"], error.get("ctx") or {}, field)
        items = [part for part in error["loc"] if isinstance(part, int)]
        errors.setdefault(field, f"第 {items[0] + 1} 项：{text}" if items else text)
    return errors


def form_failure(exc: Exception, title: str) -> tuple[int, str, dict[str, str]]:
    """How a refused form is shown again: (status, message, errors by field). Bad input is 422 with the
    messages beside the fields; a refused transition, stale version or role keeps its own status."""
    if isinstance(exc, (ValidationError, InvalidInput)):
        errors = translate(exc) if isinstance(exc, ValidationError) else {exc.field: exc.message}
        return 422, f"“{title}”未能提交：" + "；".join(errors.values()), errors
    if isinstance(exc, (TransitionRefused, StaleVersion, Forbidden)):
        return status_of(exc), exc.message, {}
    raise exc

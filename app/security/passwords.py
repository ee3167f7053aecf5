"""Password policy: at least 8 characters, no spaces, three of four kinds, no obvious runs."""
import re

from flask_appbuilder.exceptions import PasswordComplexityValidationError
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

POLICY_TEXT = "密码至少8位，不含空格，须包含大写字母、小写字母、数字、符号中的至少三类"  # the msgid; shown through gettext
MIN_LENGTH = 8
# The hint under every new-password field.
POLICY_HINT = _l("至少8位，不含空格，须包含大写字母、小写字母、数字、符号中的至少三类")
RUN_LENGTH = 4  # abcd, 4321, aaaa: four in a row make a password guessable


def _kinds(password):
    return sum(bool(re.search(pattern, password)) for pattern in (r"[a-z]", r"[A-Z]", r"\d", r"[^A-Za-z\d\s]"))


def _has_run(password):
    """Four characters in a row that are equal, ascending or descending (abcd, 1234, dcba, 1111)."""
    codes = [ord(c) for c in password.lower()]
    for i in range(len(codes) - RUN_LENGTH + 1):
        steps = {codes[j + 1] - codes[j] for j in range(i, i + RUN_LENGTH - 1)}
        if len(steps) == 1 and steps.pop() in (-1, 0, 1):
            return True
    return False


def password_problem(password):
    """The reason a password is refused (translated), or None when it meets the policy."""
    password = password or ""
    if len(password) < MIN_LENGTH or re.search(r"\s", password) or _kinds(password) < 3:
        return _("密码至少8位，不含空格，须包含大写字母、小写字母、数字、符号中的至少三类")
    if _has_run(password):
        return _("密码不能包含4个及以上连续或相同的字符（如abcd、1234、aaaa）")
    return None


def check_password_policy(password):
    """FAB_PASSWORD_COMPLEXITY_VALIDATOR hook: raise with the Chinese message."""
    problem = password_problem(password)
    if problem:
        raise PasswordComplexityValidationError(problem)

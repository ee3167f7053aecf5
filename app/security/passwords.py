"""Password policy: at least 8 characters with both letters and digits."""
import re

from flask_appbuilder.exceptions import PasswordComplexityValidationError
from flask_babel import gettext as _

POLICY_TEXT = "密码至少8位，且须同时包含字母和数字"  # the msgid; shown through gettext below
MIN_LENGTH = 8


def password_problem(password):
    """The reason a password is refused (translated), or None when it meets the policy."""
    password = password or ""
    if len(password) < MIN_LENGTH or not re.search(r"[A-Za-z]", password) or not re.search(r"\d", password):
        return _("密码至少8位，且须同时包含字母和数字")
    return None


def check_password_policy(password):
    """FAB_PASSWORD_COMPLEXITY_VALIDATOR hook: raise with the Chinese message."""
    problem = password_problem(password)
    if problem:
        raise PasswordComplexityValidationError(problem)

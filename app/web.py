"""Request-level glue: template filters, list-argument hygiene and Chinese error pages."""
import re
from urllib.parse import urlencode

from flask import redirect, render_template, request
from flask_appbuilder.utils.base import is_safe_redirect_url

from app.workflow import state_label

_INT_ARG = re.compile(r"(psize_|page_)")  # FAB matches these anywhere in the name


def register(app):
    """Install filters, hooks and error handlers on the app."""
    app.add_template_filter(state_label, "state_label")
    from app.workflow.engine import OPINION_MAX_LENGTH

    app.jinja_env.globals["opinion_max_length"] = OPINION_MAX_LENGTH  # the 审核意见 textareas' maxlength

    @app.before_request
    def drop_malformed_list_args():
        # FAB int()s psize_/page_ arguments unguarded; a bad value would be a 500.
        bad = [k for k, v in request.args.items() if _INT_ARG.search(k) and not re.fullmatch(r"\d{1,6}", v)]
        if bad and request.method == "GET":
            kept = [(k, v) for k, v in request.args.items(multi=True) if k not in bad]
            return redirect(request.base_url + ("?" + urlencode(kept) if kept else ""))
        return None

    for code, message in ((403, "您没有权限访问该页面"), (404, "页面或记录不存在"), (405, "不支持的请求方式"),
                          (413, "上传的文件过大"), (500, "系统内部错误，请稍后重试")):
        app.register_error_handler(code, _error_page(code, message))

    from flask_wtf.csrf import CSRFError
    from sqlalchemy.exc import DataError

    def not_found_for_impossible_ids(error):
        # An id beyond the column's range (e.g. 2**63 typed into a URL) cannot exist: answer like a missing row.
        from app.extensions import db

        db.session.rollback()
        return render_template("error.html", code=404, message="页面或记录不存在"), 404

    app.register_error_handler(OverflowError, not_found_for_impossible_ids)
    app.register_error_handler(DataError, not_found_for_impossible_ids)

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return render_template("error.html", code=400, message="页面已过期或请求无效，请刷新页面后重试"), 400


def local_path(url):
    """`url` when it is a path on this site that FAB's get_safe_redirect would follow, else None.

    The `next` of a form and a referrer are only ever followed through this. Stricter than FAB on two points:
    browsers read a backslash as a slash ("/\\evil.example" is another site), and a relative path is refused.
    """
    if not isinstance(url, str) or not url.startswith("/") or "\\" in url or not url.isprintable():
        return None
    return url if is_safe_redirect_url(url) else None


def _error_page(code, message):
    def handler(error):
        return render_template("error.html", code=code, message=message), code
    return handler

"""`_()` in templates without Flask-Babel's per-call lookups: same catalogue, same newstyle semantics.

Flask-Babel installs `lambda s: get_translations().ugettext(s)` (context, domain, locale and cache lookups on every
call) and Jinja's i18n extension makes `_` an alias that resolves `gettext` in the template context on every call:
about 26 µs a call here, and a 报名人员查询 page makes some 200 of them (~5 ms of its CPU). Here:

- each render_template gets a `_` bound to the translations of the moment (a context processor: the locale is
  looked up once per render, and a render inside force_locale() gets that locale's);
- templates that do not receive the render's context (macros imported without context) use the global `_`:
  Jinja's newstyle gettext over the request's translations, remembered with the locale object Flask-Babel
  resolved (force_locale() or flask_babel.refresh() give another object, hence a fresh lookup).
"""
from flask import g, has_request_context
from flask_babel import get_locale, get_translations
from jinja2 import pass_eval_context
from markupsafe import Markup

_MEMO = "_template_translations"  # on flask.g: (babel Locale, its Translations)


def current_translations():
    """Flask-Babel's translations for the request's locale, looked up once per request and locale."""
    if not has_request_context():
        return get_translations()
    locale = get_locale()
    memo = g.get(_MEMO)
    if memo is None or memo[0] is not locale:
        memo = (locale, get_translations())
        setattr(g, _MEMO, memo)
    return memo[1]


def bound_gettext():
    """Jinja's newstyle gettext (autoescaped, always %-formatted) over the translations of this moment."""
    ugettext = current_translations().ugettext

    @pass_eval_context
    def gettext(eval_ctx, string, **variables):
        translated = ugettext(string)
        if eval_ctx.autoescape:
            translated = Markup(translated)
        return translated % variables

    return gettext


def register(app):
    """Replace Flask-Babel's template callables (installed by Babel.init_app) with the memoised ones."""
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: current_translations().ugettext(s),
        ngettext=lambda s, p, n: current_translations().ungettext(s, p, n),
        pgettext=lambda c, s: current_translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: current_translations().unpgettext(c, s, p, n),
        newstyle=True)
    # Jinja's `_` looks `gettext` up in the template context at every call; no template defines its own.
    app.jinja_env.globals["_"] = app.jinja_env.globals["gettext"]
    app.context_processor(lambda: {"_": bound_gettext()})

"""Text filters: one LIKE-escaping rule for every search, and whole-value equality only on sensitive columns.

A typed % or _ is a literal character, never a wildcard (`_flt_0_name=%` would list every row), in FAB's
built-in filters (lists and the REST API) and in the project's own filters alike. 身份证号 and 手机号 take only
a whole-value equality filter: with "starts with" or "contains" a masked number is rebuilt digit by digit
from the counts the lists and the API answer.
"""
from flask_appbuilder.models.sqla import filters as fab
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _l

from app.validators import normalize_id_number

LIKE_ESCAPE = "\\"
# Columns holding a person's ID number or mobile number, on any model (worker, enrollment, staff, enterprise).
SENSITIVE_COLUMNS = {"id_number", "mobile", "contact_mobile"}
SENSITIVE_MESSAGE = _l("身份证号、手机号只能按完整号码精确查询")


def like_pattern(text, *, prefix=False, suffix=False):
    """A LIKE pattern matching `text` literally: inside (default), at the start (prefix) or at the end (suffix)."""
    escaped = (str(text).replace(LIKE_ESCAPE, LIKE_ESCAPE * 2).replace("%", LIKE_ESCAPE + "%")
               .replace("_", LIKE_ESCAPE + "_"))
    return ("" if prefix else "%") + escaped + ("" if suffix else "%")


def contains(column, text, *, case_sensitive=True):
    """column LIKE %text% with text taken literally (ILIKE when not case_sensitive)."""
    operator = column.like if case_sensitive else column.ilike
    return operator(like_pattern(text), escape=LIKE_ESCAPE)


def starts_with(column, text):
    """column LIKE text% with text taken literally."""
    return column.like(like_pattern(text, prefix=True), escape=LIKE_ESCAPE)


def is_sensitive(column_name):
    return str(column_name).rsplit(".", 1)[-1] in SENSITIVE_COLUMNS


# --- FAB's text filters, escaped ----------------------------------------------------------------------


def _escaped(base, prefix, suffix, negate):
    class Escaped(base):
        __doc__ = "FAB's %s with the typed text taken literally." % base.__name__

        def apply(self, query, value):
            query, field = fab.get_field_setup_query(query, self.model, self.column_name)
            clause = field.ilike(like_pattern(value, prefix=prefix, suffix=suffix), escape=LIKE_ESCAPE)
            return query.filter(~clause if negate else clause)

    Escaped.__name__ = Escaped.__qualname__ = base.__name__
    return Escaped


FilterStartsWith = _escaped(fab.FilterStartsWith, True, False, False)
FilterNotStartsWith = _escaped(fab.FilterNotStartsWith, True, False, True)
FilterEndsWith = _escaped(fab.FilterEndsWith, False, True, False)
FilterNotEndsWith = _escaped(fab.FilterNotEndsWith, False, True, True)
FilterContains = _escaped(fab.FilterContains, False, False, False)
FilterNotContains = _escaped(fab.FilterNotContains, False, False, True)
ESCAPED = {fab.FilterStartsWith: FilterStartsWith, fab.FilterNotStartsWith: FilterNotStartsWith,
           fab.FilterEndsWith: FilterEndsWith, fab.FilterNotEndsWith: FilterNotEndsWith,
           fab.FilterContains: FilterContains, fab.FilterNotContains: FilterNotContains}


class FilterWholeValue(fab.FilterEqual):
    """等于 the whole value (an ID number in any case of its final X); the only filter of a sensitive column."""

    name = _l("等于")

    def apply(self, query, value):
        query, field = fab.get_field_setup_query(query, self.model, self.column_name)
        text = str(value if value is not None else "").strip()
        if self.column_name.rsplit(".", 1)[-1] == "id_number":
            text = normalize_id_number(text)
        return query.filter(field == text)


class AppFilterConverter(fab.SQLAFilterConverter):
    """FAB's converter with escaped text filters, and equality only on sensitive columns."""

    conversion_table = tuple((test, [ESCAPED.get(flt, flt) for flt in filters])
                             for test, filters in fab.SQLAFilterConverter.conversion_table)

    def convert(self, col_name):
        if is_sensitive(col_name) and not self.datamodel.is_relation(col_name):
            return [FilterWholeValue(col_name, self.datamodel)]
        return super().convert(col_name)


def install():
    """Every SQLAInterface (our views and APIs, FAB's security views) builds its filters with AppFilterConverter."""
    SQLAInterface.filter_converter_class = AppFilterConverter

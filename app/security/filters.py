"""Text filters: one LIKE-escaping rule for every search, and whole-value equality only on sensitive columns.

A typed % or _ is a literal character, never a wildcard (`_flt_0_name=%` would list every row), in FAB's
built-in filters (lists and the REST API) and in the project's own filters alike. 身份证号 and 手机号 take only
a whole-value equality filter: with "starts with" or "contains" a masked number is rebuilt digit by digit
from the counts the lists and the API answer.
"""
import itertools
import time

from flask import has_app_context
from flask_appbuilder.models.sqla import filters as fab
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, bindparam, func, literal, text as sql_text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.types import Text

from app.extensions import db
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


# Name columns with a GIN index on zjpx_grams(column) (migrations 0014, 0015, 0018) and a pg_trgm index (0002,
# 0015, 0018).
GRAM_COLUMNS = frozenset({
    "enrollment.worker_name", "enrollment.enterprise_name", "enrollment.institution_name", "enrollment.plan_name",
    "enrollment.exam_plan_name", "worker.name", "enterprise.name", "institution.name", "training_plan.name",
    "exam_plan.name", "certificate.worker_name",
})


# A gram in at least this share of a column's rows (ANALYZE's statistics) is checked row by row only (text_match).
# Measured (bench/list_search_plans.py): with the gram, 杭 (25 % of 50,000 enterprises) took 12–187 ms, 绍兴 (9 %)
# 1–64 ms, but "2" (every exam plan name) 5.4 s; row by row only, the 9–25 % terms took 117–510 ms.
FREQUENT = 0.3
GRAM_STATISTICS_SECONDS = 600  # ANALYZE (autovacuum) changes them: re-read now and then
_GRAM_FREQUENCIES = {}  # gram index → (time read, {gram: fraction of the rows})


def _dialect():
    return db.session.get_bind().dialect.name if has_app_context() else "default"


def _gram_column(column):
    """'table.column' when `column` has a gram index (GRAM_COLUMNS), else None."""
    expression = getattr(column, "expression", column)
    name = "%s.%s" % (getattr(getattr(expression, "table", None), "name", None), getattr(expression, "name", None))
    return name if name in GRAM_COLUMNS else None


def gram_frequency(column, gram):
    """Fraction of `column`'s rows holding `gram`, as ANALYZE listed it (pg_stats of the gram index); 0 when
    the statistics do not list it (rarer than the least frequent gram listed)."""
    index = "ix_%s_grams" % _gram_column(column).replace(".", "_")
    read_at, frequencies = _GRAM_FREQUENCIES.get(index, (None, {}))
    now = time.monotonic()
    if read_at is None or now - read_at > GRAM_STATISTICS_SECONDS:
        row = db.session.execute(sql_text(
            "SELECT most_common_elems::text::text[], most_common_elem_freqs FROM pg_stats WHERE tablename = :index"),
            {"index": index}).first()
        frequencies = dict(zip(row[0], row[1])) if row is not None and row[0] is not None else {}
        _GRAM_FREQUENCIES[index] = (now, frequencies)
    return frequencies.get(gram, 0.0)


def term_grams(term):
    """Grams (zjpx_grams of migration 0014) that every value containing `term` has: the term itself when it has
    1 or 2 characters (what the search asks for), otherwise its distinct character pairs."""
    if len(term) <= 2:
        return [term]
    return sorted({term[i:i + 2] for i in range(len(term) - 1)})


def _spellings(term):
    """Every upper/lower-case spelling of a 1–2 character term (what ILIKE matches, character by character)."""
    choices = [sorted({c, *(v for v in (c.lower(), c.upper()) if len(v) == 1)}) for c in term]
    return ["".join(letters) for letters in itertools.product(*choices)]


def text_match(column, text, *, prefix=False, suffix=False, case_sensitive=True, dialect=None, indexed=None):
    """`column` contains `text` (or starts / ends with it; ILIKE when not case_sensitive), text taken literally.

    The ONE rule of every name search: LIKE everywhere, except a 1- or 2-character term on a name column of
    GRAM_COLUMNS on PostgreSQL, which asks for its gram (`zjpx_grams(column) @> ARRAY[term]`, or && of its
    case spellings) so the GIN index of migrations 0014/0015 answers it; same rows as LIKE (tested against it).
    A term in FREQUENT (30 %) of the rows (indexed=None decides; True forces the gram) is the per-row check alone
    (strpos / left / right, exact for 1–2 characters): an index cannot make many rows few, and where the
    planner reads the table instead, zjpx_grams computed for each row (~20 µs) made 考核计划审核's count of
    "2" (every plan name) 5.4 s instead of 81 ms on 17,165 exam plans (bench/list_search_plans.py).
    """
    operator = column.like if case_sensitive else column.ilike
    like = operator(like_pattern(text, prefix=prefix, suffix=suffix), escape=LIKE_ESCAPE)
    if len(text) > 2 or not text or (dialect or _dialect()) != "postgresql" or not _gram_column(column):
        # 3 characters and more: pg_trgm indexes the LIKE itself, and the planner estimates it well. Adding the
        # pairs too made it multiply two estimates of the same rows (10 instead of 10,581 for 88期 in
        # enrollment.plan_name) and recompute zjpx_grams on every candidate row (~20 µs each): 220 ms, not 2 ms.
        return like
    # zjpx_grams(column) @> ARRAY[term] is the index condition (exact for 1–2 characters). The check beside it
    # (strpos / left / right) is the cheap per-row filter when the planner walks the primary key instead
    # (zjpx_grams costs ~20 µs a call). Measured on 1,000,000 enrollments (bench/search_plans.py, bench/load.py):
    # - the gram alone: a term found nowhere that the statistics took for a common one was filtered by
    #   zjpx_grams row by row along the key (> 20 s);
    # - LIKE beside it: pg_trgm "indexes" a 2-character LIKE by reading its whole index (1,000,000 entries,
    #   430 ms) and the planner AND-ed that bitmap in (挖掘 at county scope: 1.45 s); LIKE's estimate, multiplied
    #   with the gram's, also made common terms look rare;
    # - declaring zjpx_grams expensive (COST 10000) instead made the county's 起重 a 1.6 s bitmap.
    # strpos is not indexable (no trigram bitmap) and has a neutral estimate.
    spellings = [text] if case_sensitive else _spellings(text)
    value, wanted = (column, text) if case_sensitive else (func.lower(column), func.lower(literal(text, Text)))
    if prefix:
        per_row = func.left(value, len(text)) == wanted
    elif suffix:
        per_row = func.right(value, len(text)) == wanted
    else:
        per_row = func.strpos(value, wanted) > 0
    if indexed is None:
        indexed = sum(gram_frequency(column, spelling) for spelling in spellings) < FREQUENT
    if not indexed:
        return per_row
    grams = func.zjpx_grams(column)
    lookup = (grams.op("@>")(bindparam(None, spellings, type_=ARRAY(Text))) if len(spellings) == 1
              else grams.op("&&")(bindparam(None, spellings, type_=ARRAY(Text))))
    return and_(lookup, per_row)


def contains(column, text, *, case_sensitive=True, dialect=None):
    """column LIKE %text% with text taken literally (ILIKE when not case_sensitive); see text_match."""
    return text_match(column, text, case_sensitive=case_sensitive, dialect=dialect)


def starts_with(column, text):
    """column LIKE text% with text taken literally; see text_match."""
    return text_match(column, text, prefix=True)


def is_sensitive(column_name):
    return str(column_name).rsplit(".", 1)[-1] in SENSITIVE_COLUMNS


# --- FAB's text filters, escaped ----------------------------------------------------------------------


def _escaped(base, prefix, suffix, negate):
    class Escaped(base):
        __doc__ = "FAB's %s with the typed text taken literally." % base.__name__

        def apply(self, query, value):
            query, field = fab.get_field_setup_query(query, self.model, self.column_name)
            text = str(value if value is not None else "")
            if negate:  # most rows match a negation: no index helps, the list walks its order
                clause = field.ilike(like_pattern(text, prefix=prefix, suffix=suffix), escape=LIKE_ESCAPE)
                return query.filter(~clause)
            return query.filter(text_match(field, text, prefix=prefix, suffix=suffix, case_sensitive=False))

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

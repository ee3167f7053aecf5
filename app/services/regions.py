"""行政区划 helpers: choices for forms and the GB/T 2260 code structure (level and parent from the code)."""
from sqlalchemy import select

from app.extensions import db
from app.models import Region, region_prefix

LEVELS = ("province", "city", "county")


def level_of_code(code):
    """province (xx0000), city (xxxx00) or county (anything else) by the structure of a 6-digit code."""
    if code.endswith("0000"):
        return "province"
    if code.endswith("00"):
        return "city"
    return "county"


def parent_code_of(code):
    """The code of the region directly above (None for a province)."""
    level = level_of_code(code)
    if level == "province":
        return None
    if level == "city":
        return code[:2] + "0000"
    return code[:4] + "00"


def _prefix(prefix_or_code):
    if prefix_or_code and len(prefix_or_code) == 6:
        return region_prefix(prefix_or_code)
    return prefix_or_code or ""


def _display_names(rows):
    """{code: name shown in a select}: the province by its name, cities and counties without it."""
    names = {code: name for code, name, _level, _parent in rows}
    result = {}
    for code, name, level, parent in rows:
        if level == "county" and parent in names and parent != code[:2] + "0000":
            result[code] = names[parent] + name
        else:
            result[code] = name
    return result


def county_choices(prefix=None, selectable_only=True):
    """County-level regions inside a jurisdiction, as [(code, '杭州市西湖区')] ordered by code.

    `prefix` is a jurisdiction prefix ('33', '3301', '330106', see region_prefix) or a region
    code ('330100'), e.g. a department's region_code; None lists every county.
    """
    like = _prefix(prefix) + "%"
    query = (select(Region.code, Region.name, Region.level, Region.parent_code)
             .where(Region.level == "county", Region.code.like(like)).order_by(Region.code))
    if selectable_only:
        query = query.where(Region.selectable.is_(True))
    counties = db.session.execute(query).all()
    parents = {parent for _code, _name, _level, parent in counties if parent}
    cities = db.session.execute(
        select(Region.code, Region.name, Region.level, Region.parent_code).where(Region.code.in_(parents))
    ).all() if parents else []
    names = _display_names(list(cities) + list(counties))
    return [(code, names[code]) for code, _name, _level, _parent in counties]


def region_choices(prefix=None):
    """Every region inside a jurisdiction (province, cities, counties) as [(code, name)] ordered by code."""
    rows = db.session.execute(
        select(Region.code, Region.name, Region.level, Region.parent_code)
        .where(Region.code.like(_prefix(prefix) + "%")).order_by(Region.code)
    ).all()
    names = _display_names(rows)
    return [(code, names[code]) for code, _name, _level, _parent in rows]

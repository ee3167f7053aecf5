"""The many-to-one columns of a FAB list (机构, 培训计划, 考核计划 …) loaded for the whole page in one query each.

FAB's list reads each row's related object when the template shows it: one lazy load per row and relation,
20–40 statements on a review list and most of its CPU. Here, before the template runs, the related rows of the
page are read with one IN query per relation and set on the page's rows as if loaded, so the template finds
them there. Only plain many-to-one relations (one foreign key to the target's primary key) are handled; others
stay lazy. Nothing is filtered differently: the lazy load would have read the same rows.
"""
from sqlalchemy import inspect, select
from sqlalchemy.orm import MANYTOONE
from sqlalchemy.orm.attributes import set_committed_value


def _plain_many_to_one(relation):
    """(foreign key attribute on the row, the target's primary key column) or None."""
    if relation.direction is not MANYTOONE or relation.secondary is not None or len(relation.local_remote_pairs) != 1:
        return None
    local, remote = relation.local_remote_pairs[0]
    target_pk = relation.mapper.primary_key
    if len(target_pk) != 1 or remote is not target_pk[0]:
        return None
    return relation.parent.get_property_by_column(local).key, remote


def _load(session, rows, relation):
    """Set relation on those rows that have not loaded it, with one IN query; the related rows found."""
    plain = _plain_many_to_one(relation)
    if plain is None:
        return []
    foreign_key, target_pk = plain
    pending = [row for row in rows if relation.key in inspect(row).unloaded]
    wanted = {getattr(row, foreign_key) for row in pending} - {None}
    if not wanted:
        return []
    key = relation.mapper.get_property_by_column(target_pk).key
    found = {getattr(item, key): item
             for item in session.scalars(select(relation.mapper.class_).where(target_pk.in_(wanted)))}
    for row in pending:
        set_committed_value(row, relation.key, found.get(getattr(row, foreign_key)))
    return list(found.values())


def preload_many_to_one(session, model, pks, columns):
    """Load, for the rows pks of model just listed, the related rows of the relations named in columns."""
    mapper = inspect(model)
    if not pks or len(mapper.primary_key) != 1:
        return
    rows = [row for row in (session.get(model, pk) for pk in pks) if row is not None]  # from the identity map
    for name in {column.split(".")[0] for column in columns}:
        relation = mapper.relationships.get(name)
        if relation is None:
            continue
        related = _load(session, rows, relation)
        # A self-referential chain of the related rows (区县 → 市 → 省: a region's full name reads its parents).
        for chain in (r for r in relation.mapper.relationships if r.mapper is relation.mapper):
            level = related
            while level:
                level = _load(session, level, chain)

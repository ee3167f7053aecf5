"""The signed-in user's permissions read once per request; FAB's has_access and the menu look them up in a set.

FAB asks the database for the user's roles, then for their groups, then once per has_access call (the view's own
check, each permission a list or detail template tests) and once more for the menu: 9–47 statements on our pages.
Here the whole set of (permission, view) pairs granted to the user's roles — directly or through groups, as FAB
counts them — is one query per request, kept on flask.g until the request ends.

Nothing is kept across requests, on purpose: roles and grants change in other processes (`flask sync-roles`,
账号管理 creating an account with its role, another web process or machine), and a stale grant would be a
security hole. Reading the grants afresh each request makes every change apply from the next request everywhere;
what may be kept longer (the rendered side menu, app/views/menu_cache.py) is keyed by the grants themselves.
"""
from flask import current_app, g, has_request_context
from flask_appbuilder.security.sqla.models import (assoc_group_role, assoc_permissionview_role, assoc_user_group,
                                                   assoc_user_role)
from sqlalchemy import bindparam, select, union

_MEMO = "_granted_permissions"  # on flask.g: (user id, frozenset of (permission name, view name))


def granted_permissions(sm, user):
    """frozenset of (permission name, view name) of user's roles and its groups' roles; one query per request."""
    memo = g.get(_MEMO) if has_request_context() else None
    if memo is not None and memo[0] == user.id:
        return memo[1]
    granted = frozenset(tuple(row) for row in sm.session.execute(_grants_query(sm), {"user_id": user.id}))
    if has_request_context():
        setattr(g, _MEMO, (user.id, granted))
    return granted


def _grants_query(sm):
    """The grants SELECT with the user as a bound parameter, built once per security manager."""
    # Building this five-table join with its UNION on every request, and SQLAlchemy deriving the cache key of the
    # new object, cost about 0.6 ms of CPU per page (two thirds of the query's cost); a statement built once keeps
    # its cache key, so each request only binds the user id. The grants themselves are still read every request.
    query = getattr(sm, "_grants_select", None)
    if query is not None:
        return query
    user_id = bindparam("user_id")
    roles = union(
        select(assoc_user_role.c.role_id).where(assoc_user_role.c.user_id == user_id),
        select(assoc_group_role.c.role_id).join(assoc_user_group,
                                                assoc_user_group.c.group_id == assoc_group_role.c.group_id)
        .where(assoc_user_group.c.user_id == user_id))
    pv, permission, view = sm.permissionview_model, sm.permission_model, sm.viewmenu_model
    query = (select(permission.name, view.name)
             .select_from(pv).join(permission, permission.id == pv.permission_id)
             .join(view, view.id == pv.view_menu_id)
             .join(assoc_permissionview_role, assoc_permissionview_role.c.permission_view_id == pv.id)
             .where(assoc_permissionview_role.c.role_id.in_(select(roles.subquery()))))
    sm._grants_select = query
    return query


def forget_granted_permissions(_exception=None):
    """End of request: the next request reads the grants again (tests may keep one app context across requests)."""
    g.pop(_MEMO, None)


class PermissionCacheMixin:
    """For the SecurityManager: FAB's per-check queries answered from granted_permissions()."""

    def __init__(self, appbuilder):
        super().__init__(appbuilder)
        current_app.teardown_request(forget_granted_permissions)

    def _reads_grants(self, user):
        # Built-in roles (FAB_ROLES, in config rather than in the database) and users without an id: FAB's own path.
        return not self.builtin_roles and user is not None and getattr(user, "id", None) is not None

    def _has_view_access(self, user, permission_name, view_name):
        if not self._reads_grants(user):
            return super()._has_view_access(user, permission_name, view_name)
        return (permission_name, view_name) in granted_permissions(self, user)

    def _get_user_permission_view_menus(self, user, permission_name, view_menus_name):
        # FAB returns every view the database roles hold permission_name on, whatever view_menus_name lists.
        if not self._reads_grants(user):
            return super()._get_user_permission_view_menus(user, permission_name, view_menus_name)
        return {view for permission, view in granted_permissions(self, user) if permission == permission_name}

"""The side menu rendered once per (menu entries the user may see, language, current entry), then reused.

Rendering appbuilder/navbar_menu.html was about a fifth of a page's template time (every entry translated, its
URL built, its visibility and the current entry worked out on each request). Its HTML depends only on:

- the entries the user's roles hold menu_access on — read from the grants of this request
  (app/security/permission_cache.py), so a role or grant changed anywhere (flask sync-roles, 账号管理, another
  process) gives another key at the next request: nothing to invalidate, and a stale menu cannot be served;
- the language (zh and en menus differ);
- the current entry (open group, class active, aria-current) and whether the page is 首页;
- the URL prefix the app is served under (request.script_root: every link carries it).

The key holds exactly these and nothing about the user, so two users with the same grants share one rendering
and no user's name, scope or data can be in it. The cache belongs to the app (each test app has its own menu)
and is a bounded LRU: role sets × 2 languages × entries is a few hundred renderings of a few KB at most.
"""
import threading
from collections import OrderedDict

from flask import current_app, render_template, request
from flask_babel import get_locale
from markupsafe import Markup

EXTENSION = "side_menu_cache"


class RenderedMenus:
    """A bounded, thread-safe LRU of rendered menus (gunicorn gthread workers serve requests in threads)."""

    def __init__(self, size=512):
        self.size = size
        self._items = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key):
        with self._lock:
            html = self._items.get(key)
            if html is not None:
                self._items.move_to_end(key)
            return html

    def put(self, key, html):
        with self._lock:
            self._items[key] = html
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def __len__(self):
        return len(self._items)


def current_entry(menu, visible, path):
    """(group name, entry name) of the page: the visible entry whose view's route_base is the longest prefix of
    path; (None, None) on pages outside the menu."""
    found, length = (None, None), 0
    for group in menu.get_list():
        if group.name not in visible:
            continue
        for entry in group.childs or [group]:
            if not entry or entry.name == "-" or entry.name not in visible:
                continue
            base = (entry.baseview.route_base if entry.baseview else entry.get_url()).rstrip("/")
            if base and (path == base or path.startswith(base + "/")) and len(base) > length:
                found, length = (group.name, entry.name), len(base)
    return found


def side_menu():
    """The side menu's HTML for this request (a Jinja global: base_layout.html calls it for signed-in users)."""
    appbuilder = current_app.appbuilder
    menu = appbuilder.menu
    names = menu.get_flat_name_list()
    visible = frozenset(appbuilder.sm.get_user_menu_access(names)).intersection(names)
    home = request.path == appbuilder.get_url_for_index
    active_group, active_item = current_entry(menu, visible, request.path)
    key = (visible, str(get_locale()), request.script_root, home, active_group, active_item)
    cache = current_app.extensions[EXTENSION]
    html = cache.get(key)
    if html is None:
        html = Markup(render_template("appbuilder/navbar_menu.html", appbuilder=appbuilder, menu=menu,
                                      visible_menus=visible, home=home,
                                      active_group=active_group, active_item=active_item))
        cache.put(key, html)
    return html


def register(app):
    """Give the app its cache and templates the side_menu() global."""
    app.extensions[EXTENSION] = RenderedMenus(app.config.get("SIDE_MENU_CACHE_SIZE", 512))
    app.jinja_env.globals["side_menu"] = side_menu

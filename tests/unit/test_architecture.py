"""The house plan: app modules import downwards only, without circles, in functions of readable length."""
import ast
import pathlib

import pytest

APP = pathlib.Path(__file__).resolve().parents[2] / "app"
MAX_FUNCTION_LINES = 80

# Bottom to top. A module may import from its own layer's packages or any layer below, never above.
# workflow imports nothing of the app (states and transitions as data), the models read its labels;
# errors holds the one domain error that security and services both raise and catch; security
# (user scope, the FAB manager) reads the models, and the services call scope; tasks run services;
# seed and demo load data through the services; views, web and cli are the request and command
# entry points; app (create_app) and celery_worker wire everything.
LAYERS = [
    {"app.extensions", "app.validators", "app.errors", "app.workflow"},
    {"app.models"},
    {"app.documents"},
    {"app.security"},
    {"app.services"},
    {"app.tasks"},
    {"app.seed", "app.demo"},
    {"app.views", "app.web", "app.cli"},
    {"app", "app.celery_worker"},
]

# Imports allowed to run up the layers, each named (importing module → imported module) with why. Keep at most one.
ALLOWED_UPWARD = {}

# File-level circles tolerated: none (the last, services.exams ↔ services.review, went with services/reviewable.py).
ALLOWED_CYCLES = []


def _module_name(path):
    parts = path.relative_to(APP.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(path): path for path in sorted(APP.rglob("*.py"))}


def _package(module):
    """The house floor plan's room: app.services.exams → app.services; app.web → app.web."""
    return ".".join(module.split(".")[:2])


def _imported_modules(module, node):
    """The app modules an import statement (module-level or inside a function) names."""
    if isinstance(node, ast.Import):
        targets = [alias.name for alias in node.names]
    else:
        if node.level:
            package = module if MODULES[module].name == "__init__.py" else module.rpartition(".")[0]
            base = ".".join(package.split(".")[:len(package.split(".")) - node.level + 1])
            base = base + "." + node.module if node.module else base
        else:
            base = node.module
        targets = [base + "." + alias.name if base + "." + alias.name in MODULES else base for alias in node.names]
    found = set()
    for target in targets:
        while target and target not in MODULES:
            target = target.rpartition(".")[0]
        # A module importing its own package (from app.services import audit → app.services) is no arrow.
        if target and target != module and not module.startswith(target + "."):
            found.add(target)
    return found


def import_graph():
    """{module: modules it imports}, counting imports inside functions too (they still depend)."""
    graph = {}
    for module, path in MODULES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        graph[module] = set()
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                graph[module] |= _imported_modules(module, node)
    return graph


def strongly_connected(graph):
    """Tarjan's components of more than one node: every circle of imports."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(component)

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def package_graph(graph):
    packages = {}
    for module, targets in graph.items():
        packages.setdefault(_package(module), set()).update(
            _package(target) for target in targets if _package(target) != _package(module))
    return packages


def test_no_circle_between_modules():
    cycles = [cycle for cycle in strongly_connected(import_graph()) if cycle not in ALLOWED_CYCLES]
    assert cycles == []


def test_no_circle_between_packages():
    graph = import_graph()
    # The known module circle lives inside one package; the package graph has none at all.
    assert strongly_connected(package_graph(graph)) == []


def test_every_package_has_a_layer():
    layered = set().union(*LAYERS)
    assert {_package(module) for module in MODULES} - layered == set()


def test_imports_run_down_the_layers():
    floor = {package: level for level, packages in enumerate(LAYERS) for package in packages}
    upward = {(module, target) for module, targets in import_graph().items() for target in targets
              if floor[_package(target)] > floor[_package(module)]}
    assert len(ALLOWED_UPWARD) <= 1
    assert upward - set(ALLOWED_UPWARD) == set()


def _functions(path):
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield node


def test_no_function_longer_than_80_lines():
    long = ["%s:%d %s (%d lines)" % (path.relative_to(APP.parent), node.lineno, node.name, lines)
            for path in MODULES.values() for node in _functions(path)
            if (lines := node.end_lineno - node.lineno + 1) > MAX_FUNCTION_LINES]
    assert long == []


@pytest.mark.parametrize("source, expected", [
    ("from app.services.dictionaries import label", {"app.services.dictionaries"}),
    ("from app.services import audit, ServiceError", {"app.services.audit", "app.services"}),
    ("import app.models.user", {"app.models.user"}),
    ("from .base import Model", {"app.models.base"}),
    ("from . import certificates", {"app.tasks.certificates"}),
])
def test_imports_are_resolved_to_modules(source, expected):
    module = "app.tasks" if "certificates" in source else "app.models.org"
    assert _imported_modules(module, ast.parse(source).body[0]) == expected


def test_a_function_level_import_counts():
    # tasks/certificates.py imports the service inside its task function only.
    assert "app.services.certificates" in import_graph()["app.tasks.certificates"]
    assert strongly_connected({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [{"a", "b", "c"}]

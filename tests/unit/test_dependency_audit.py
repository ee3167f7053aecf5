"""The dependency audit's verdict (.ci/audit.py): a known vulnerability with a fixed version fails the build."""
import importlib.util
import os

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
spec = importlib.util.spec_from_file_location("ci_audit", os.path.join(ROOT, ".ci", "audit.py"))
audit = importlib.util.module_from_spec(spec)
spec.loader.exec_module(audit)


def _report(*deps):
    return {"dependencies": list(deps), "fixes": []}


def test_a_vulnerability_with_a_fix_is_fixable_one_without_is_only_listed():
    fixable, unfixable, skipped = audit.judge(_report(
        {"name": "flask", "version": "2.2.4", "vulns": [{"id": "PYSEC-2023-62", "fix_versions": ["2.2.5", "2.3.2"]}]},
        {"name": "oldlib", "version": "1.0", "vulns": [{"id": "GHSA-xxxx", "fix_versions": []}]},
        {"name": "jinja2", "version": "3.1.6", "vulns": []},
        {"name": "private-pkg", "skip_reason": "Dependency not found on PyPI"},
    ))
    assert fixable == ["flask 2.2.4: PYSEC-2023-62 → 2.2.5, 2.3.2"]
    assert unfixable == ["oldlib 1.0: GHSA-xxxx"]
    assert skipped == ["private-pkg: Dependency not found on PyPI"]


def test_the_exit_codes(monkeypatch, capsys):
    reports = {
        "clean": _report({"name": "jinja2", "version": "3.1.6", "vulns": []}),
        "fixable": _report({"name": "flask", "version": "2.2.4",
                            "vulns": [{"id": "PYSEC-2023-62", "fix_versions": ["2.2.5"]}]}),
        "unfixable": _report({"name": "oldlib", "version": "1.0", "vulns": [{"id": "GHSA-x", "fix_versions": []}]}),
        "incomplete": _report({"name": "private-pkg", "skip_reason": "not found"}),
    }
    monkeypatch.setattr(audit, "site_packages", lambda python: "/nowhere")
    for name, expected, argv in (("clean", 0, []), ("fixable", 1, []), ("unfixable", 0, []), ("incomplete", 2, []),
                                 ("incomplete", 0, ["--allow-incomplete"])):
        monkeypatch.setattr(audit, "run_pip_audit", lambda path, report=reports[name]: report)
        monkeypatch.setattr("sys.argv", ["audit.py"] + argv)
        assert audit.main() == expected, name
    assert "有修复版本的已知漏洞" not in capsys.readouterr().out.split("依赖审计")[-1]

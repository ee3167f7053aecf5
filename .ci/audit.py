#!/usr/bin/env python3
"""Dependency audit: pip-audit over the packages requirements.txt installed into .venv (transitive ones included).

Exit 0: no known vulnerability with a fix. Exit 1: at least one known vulnerability has a fixed version (bump the
pin in requirements.txt and run the tests it concerns). Exit 2: the audit is incomplete — packages the
vulnerability service could not look up (no network, a mirror without PyPI's per-version JSON API); pass
--allow-incomplete to report them without failing. Vulnerabilities without any fix are listed, not failed on.

    .venv-audit/bin/python .ci/audit.py --python .venv/bin/python    (what `make audit` runs)
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile


def site_packages(python):
    """The directory the audited interpreter installs packages into."""
    return subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          check=True, capture_output=True, text=True).stdout.strip()


def run_pip_audit(path):
    """pip-audit's JSON report on the packages installed under `path`."""
    with tempfile.TemporaryDirectory() as tmp:
        report = os.path.join(tmp, "audit.json")
        done = subprocess.run([sys.executable, "-m", "pip_audit", "--path", path, "--format", "json",
                               "--progress-spinner", "off", "--output", report], capture_output=True, text=True)
        if not os.path.exists(report):
            sys.stderr.write(done.stderr)
            raise SystemExit("pip-audit 未能运行（退出码 %d）" % done.returncode)
        with open(report) as fh:
            return json.load(fh)


def judge(report):
    """(fixable, unfixable, skipped) lines from a pip-audit JSON report."""
    fixable, unfixable, skipped = [], [], []
    for dep in report.get("dependencies", []):
        if dep.get("skip_reason"):
            skipped.append("%s: %s" % (dep["name"], dep["skip_reason"]))
        for vuln in dep.get("vulns", []):
            line = "%s %s: %s%s" % (dep["name"], dep["version"], vuln["id"],
                                    " → %s" % ", ".join(vuln["fix_versions"]) if vuln.get("fix_versions") else "")
            (fixable if vuln.get("fix_versions") else unfixable).append(line)
    return fixable, unfixable, skipped


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python", default=".venv/bin/python", help="interpreter of the audited environment")
    parser.add_argument("--allow-incomplete", action="store_true",
                        help="do not fail when some packages could not be looked up")
    args = parser.parse_args()
    report = run_pip_audit(site_packages(args.python))
    fixable, unfixable, skipped = judge(report)
    audited = len(report.get("dependencies", [])) - len(skipped)
    print("依赖审计：%d 个包已检查，%d 个无法查询" % (audited, len(skipped)))
    for title, lines in (("有修复版本的已知漏洞（须升级）", fixable), ("尚无修复版本的已知漏洞", unfixable),
                         ("无法查询的包", skipped[:10] + (["…… 共 %d 个" % len(skipped)] if len(skipped) > 10 else []))):
        if lines:
            print("%s：\n  %s" % (title, "\n  ".join(lines)))
    if fixable:
        return 1
    if skipped and not args.allow_incomplete:
        print("审计未完成：漏洞库无法查询上述包（检查网络或 PyPI 镜像；--allow-incomplete 只报告不失败）")
        return 2
    print("没有可修复的已知漏洞")
    return 0


if __name__ == "__main__":
    sys.exit(main())

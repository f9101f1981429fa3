#!/usr/bin/env python3
"""The API contract: schemathesis against a `bothy demo` server, as each kind of API client.

For each database (SQLite always; PostgreSQL too when BOTHY_TEST_DATABASE_URL names an
administrative connection), starts `$BOTHY_BIN demo` on a free port and a scratch database,
registers one API client per permission and one holding all of them, and runs schemathesis
against the served `/api/openapi.json` as each of them and without a token. The checks: no
server error, and every answer's status, content type and body as the document says.

Real ids (the demo's patients, a stored response, a referral, the instruments) are offered to
schemathesis as dictionaries bound to the path and query parameters, half the time, so the
answers that carry data are checked too, not only the refusals.

Exits non-zero on any finding, and prints the figures RELIABILITY.md records.

Environment:
  BOTHY_BIN                     the bothy binary (default: <target>/debug/bothy)
  BOTHY_SCHEMATHESIS            the `st` command (default: <repo>/target/schemathesis-venv/bin/st)
  BOTHY_TEST_DATABASE_URL       also run on a scratch PostgreSQL database made through it
  BOTHY_API_EXAMPLES            examples per operation and phase (default 25)
  BOTHY_API_SEED                schemathesis' seed (default 12, so a run can be repeated)
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
TARGET = Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target"))
BOTHY = Path(os.environ.get("BOTHY_BIN", TARGET / "debug" / "bothy"))
ST = os.environ.get("BOTHY_SCHEMATHESIS", str(REPO / "target" / "schemathesis-venv" / "bin" / "st"))
EXAMPLES = int(os.environ.get("BOTHY_API_EXAMPLES", "25"))
SEED = int(os.environ.get("BOTHY_API_SEED", "12"))
# The contract: no server error; status, content type, headers and body as documented. Also:
# what the document calls invalid is refused, a method not documented is refused, and an
# operation that needs a token refuses a request without one. Not `positive_data_acceptance`:
# FHIR's rules (one subject, a known questionnaire, answers that fit it) are more than a
# schema says, so schema-valid resources are rightly refused with a 422.
CHECKS = ",".join(
    [
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_headers_conformance",
        "response_schema_conformance",
        "negative_data_rejection",
        "unsupported_method",
        "ignored_auth",
    ]
)
PERMISSIONS = ["patient.read", "reports.read", "measures.write", "referral.create", "referral.read"]
# Each kind of caller: a name and the permissions of its client (None: no token at all).
CALLERS: list[tuple[str, list[str] | None]] = [("anonymous", None)]
CALLERS += [(p, [p]) for p in PERMISSIONS]
CALLERS += [("all", PERMISSIONS)]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def request(base: str, path: str, token: str | None = None, body: dict | None = None) -> tuple[int, dict]:
    headers = {"Accept": "application/fhir+json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/fhir+json"
    req = urllib.request.Request(base + path, data=data, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, json.loads(r.read() or b"{}")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")


class Server:
    """`bothy demo` on a scratch database, in a process group of its own."""

    def __init__(self, database: str):
        self.database = database
        self.dir = Path(tempfile.mkdtemp(prefix="bothy-api-"))
        # The server's own count of answers by route and status, read at the end.
        self.metrics_token = secrets.token_hex(16)
        self.env = {
            **os.environ,
            "NO_COLOR": "1",
            "BOTHY__SERVER__METRICS_TOKEN": self.metrics_token,
        }
        self.pg_admin = None
        self.pg_name = None
        if database == "postgres":
            self.pg_admin = os.environ["BOTHY_TEST_DATABASE_URL"]
            self.pg_name = f"bothy_api_{secrets.token_hex(6)}"
            self.psql(f"CREATE DATABASE {self.pg_name}")
            url = urllib.parse.urlsplit(self.pg_admin)
            self.env["DATABASE_URL"] = urllib.parse.urlunsplit(url._replace(path="/" + self.pg_name))
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = open(self.dir / "server.log", "wb")
        self.child = subprocess.Popen(
            [str(BOTHY), "demo", "--listen", f"127.0.0.1:{self.port}", "--data-dir", str(self.dir)],
            stdout=self.log,
            stderr=subprocess.STDOUT,
            env=self.env,
            start_new_session=True,
        )

    def psql(self, sql: str) -> None:
        subprocess.run(["psql", self.pg_admin, "-Atqc", sql], check=True, stdout=subprocess.DEVNULL)

    def wait_ready(self) -> None:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.child.poll() is not None:
                raise SystemExit(f"bothy demo exited early:\n{self.tail()}")
            try:
                with urllib.request.urlopen(self.base + "/readyz", timeout=5) as r:
                    if r.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.5)
        raise SystemExit(f"bothy demo did not become ready:\n{self.tail()}")

    def admin(self, *args: str) -> str:
        out = subprocess.run(
            [str(BOTHY), "--data-dir", str(self.dir), "admin", *args],
            env=self.env,
            check=True,
            capture_output=True,
            text=True,
        )
        return out.stdout

    def client(self, name: str, permissions: list[str]) -> str:
        args = ["create-api-client", "--service", "demo", "--name", f"Contract test {name}"]
        for p in permissions:
            args += ["--permission", p]
        # The token is the last line printed.
        return self.admin(*args).strip().splitlines()[-1].strip()

    def tail(self) -> str:
        self.log.flush()
        return "\n".join((self.dir / "server.log").read_text(errors="replace").splitlines()[-40:])

    def answers(self) -> dict[tuple[str, str], dict[str, int]]:
        """Answers to /api and /fhir by (method, route), counted by status class."""
        req = urllib.request.Request(
            self.base + "/metrics", headers={"Authorization": f"Bearer {self.metrics_token}"}
        )
        with urllib.request.urlopen(req, timeout=30) as r:
            text = r.read().decode()
        line = re.compile(
            r'^bothy_http_requests_total\{method="(\w+)",route="([^"]+)",status="(\d+)"\} (\d+)$', re.M
        )
        out: dict[tuple[str, str], dict[str, int]] = {}
        for method, route, status, n in line.findall(text):
            if route.startswith(("/api/", "/fhir/")):
                counts = out.setdefault((method, route), {})
                counts[status[0] + "xx"] = counts.get(status[0] + "xx", 0) + int(n)
        return out

    def server_errors_logged(self) -> list[str]:
        text = (self.dir / "server.log").read_text(errors="replace")
        return [l for l in text.splitlines() if "internal error" in l or "panicked" in l]

    def stop(self) -> None:
        if self.child.poll() is None:
            os.killpg(self.child.pid, signal.SIGTERM)
            try:
                self.child.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.child.pid, signal.SIGKILL)
                self.child.wait()
        self.log.close()
        if self.pg_name:
            self.psql(f"DROP DATABASE IF EXISTS {self.pg_name} WITH (FORCE)")
        shutil.rmtree(self.dir, ignore_errors=True)


def known_ids(server: Server, token: str) -> dict[str, list[str]]:
    """Ids that name real things, made through the API itself."""
    accounts = json.loads((server.dir / "demo-accounts.json").read_text())
    patients = [p["id"] for p in accounts["patients"]]
    status, bundle = request(server.base, "/fhir/Questionnaire")
    assert status == 200, (status, bundle)
    questionnaires = [e["resource"] for e in bundle.get("entry", [])]
    phq9 = next(q for q in questionnaires if q["id"] == "phq9")
    response = {
        "resourceType": "QuestionnaireResponse",
        "status": "completed",
        "identifier": {"value": "contract-test-1"},
        "subject": {"reference": f"Patient/{patients[0]}"},
        "questionnaire": phq9["url"],
        "item": [
            {"linkId": i["linkId"], "answer": [{"valueInteger": 0}]}
            for i in phq9["item"]
            if i.get("type") not in ("display", "group")
        ],
    }
    status, stored = request(server.base, "/fhir/QuestionnaireResponse", token, response)
    assert status in (200, 201), (status, stored)
    referral = {
        "resourceType": "ServiceRequest",
        "identifier": [{"value": "contract-test-sr-1"}],
        "status": "active",
        "intent": "order",
        "subject": {"reference": "#p"},
        "requester": {"reference": "#gp"},
        "reasonCode": [{"text": "Low mood"}],
        "contained": [
            {
                "resourceType": "Patient",
                "id": "p",
                "name": [{"family": "Contract", "given": ["Morven"]}],
                "birthDate": "1970-05-05",
                "telecom": [{"system": "email", "value": "contract.test@example.org"}],
            },
            {"resourceType": "Practitioner", "id": "gp", "name": [{"text": "Dr Ross"}]},
        ],
    }
    status, sent = request(server.base, "/fhir/ServiceRequest", token, referral)
    assert status in (200, 201), (status, sent)
    return {
        "patients": patients,
        "subjects": [f"Patient/{p}" for p in patients],
        "responses": [stored["id"]],
        "referrals": [sent["id"]],
        "instruments": [q["id"] for q in questionnaires],
        "urls": [q["url"] for q in questionnaires],
    }


def config(ids: dict[str, list[str]]) -> str:
    """schemathesis.toml: the real ids, offered half the time; no cache of earlier crashes
    (kept in the working directory otherwise), so every run is the same run."""
    lines = ["[cache]", "enabled = false"]
    for name, values in ids.items():
        lines.append(f"[dictionaries.{name}]")
        lines.append("values = " + json.dumps(values))
    bindings = {
        "path.id": "patients",
        "path.response": "responses",
        "path.observation": "responses",
        "path.referral": "referrals",
        "path.instrument": "instruments",
        "query.subject": "subjects",
        "query.patient": "subjects",
        "query.url": "urls",
    }
    lines.append("[parameters]")
    for key, dictionary in bindings.items():
        lines.append(f'"{key}" = {{ dictionary = "{dictionary}", probability = 0.5 }}')
    return "\n".join(lines) + "\n"


def run_schemathesis(server: Server, caller: str, token: str | None, config_file: Path) -> dict:
    cmd = [
        ST,
        "--no-color",
        "--config-file",
        str(config_file),
        "run",
        f"{server.base}/api/openapi.json",
        "--checks",
        CHECKS,
        "--max-examples",
        str(EXAMPLES),
        "--seed",
        str(SEED),
        "--phases",
        "examples,coverage,fuzzing",
        "--workers",
        "1",
    ]
    if token:
        cmd += ["--header", f"Authorization: Bearer {token}"]
    started = time.monotonic()
    out = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "NO_COLOR": "1"})
    took = time.monotonic() - started
    text = out.stdout + out.stderr
    cases = re.search(r"^\s*(\d+) generated, (.*)$", text, re.M)
    tested = re.search(r"^\s*Tested: (\d+)", text, re.M)
    return {
        "caller": caller,
        # A run that did not print its summary is a failure too.
        "ok": out.returncode == 0 and cases is not None and "passed" in cases.group(2),
        "cases": int(cases.group(1)) if cases else None,
        "outcome": cases.group(2) if cases else "no summary",
        "operations": tested.group(1) if tested else "?",
        "seconds": took,
        "output": text,
    }


def run_on(database: str) -> list[dict]:
    print(f"\n--- {database}: starting {BOTHY} demo", flush=True)
    server = Server(database)
    results = []
    try:
        server.wait_ready()
        tokens = {name: (server.client(name, perms) if perms else None) for name, perms in CALLERS}
        ids = known_ids(server, tokens["all"])
        config_file = server.dir / "schemathesis.toml"
        config_file.write_text(config(ids))
        for name, _ in CALLERS:
            r = run_schemathesis(server, name, tokens[name], config_file)
            r["database"] = database
            results.append(r)
            verdict = "ok" if r["ok"] else "FAILED"
            print(
                f"{database:8} {name:16} {r['operations']} operations, {r['cases']} cases "
                f"({r['outcome']}) in {r['seconds']:.0f} s: {verdict}",
                flush=True,
            )
            if not r["ok"]:
                print(r["output"][-12000:])
        print(f"\n{database}: answers by operation, as the server counted them")
        _, doc = request(server.base, "/api/openapi.json")
        documented = {(m.upper(), p) for p, item in doc["paths"].items() for m in item}
        # Every request counts, the other methods schemathesis tries (405) too; only the
        # documented operations are listed.
        answers = server.answers()
        for (method, route), counts in sorted(answers.items(), key=lambda kv: kv[0][1]):
            if any(k.startswith("5") for k in counts):
                results.append({"database": database, "caller": f"5xx on {method} {route}", "ok": False})
            if (method, route) not in documented:
                continue
            line = ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
            print(f"  {method:4} {route:40} {line}")
        errors = server.server_errors_logged()
        if errors:
            print(f"{database}: the server logged {len(errors)} internal errors:\n" + "\n".join(errors[:20]))
            results.append({"database": database, "caller": "server log", "ok": False})
    finally:
        server.stop()
    return results


def main() -> int:
    if not BOTHY.exists():
        print(f"{BOTHY} does not exist: run `cargo build -p bothy` first", file=sys.stderr)
        return 2
    databases = ["sqlite"] + (["postgres"] if os.environ.get("BOTHY_TEST_DATABASE_URL") else [])
    results = []
    for db in databases:
        results += run_on(db)
    failed = [r for r in results if not r["ok"]]
    print("\n| database | caller | test cases | operations | result |")
    print("|---|---|---|---|---|")
    for r in results:
        print(
            f"| {r['database']} | {r['caller']} | {r.get('cases')} | {r.get('operations', '')} | "
            f"{'pass' if r['ok'] else 'FAIL'} |"
        )
    print(f"\n{len(results) - len(failed)} passed, {len(failed)} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

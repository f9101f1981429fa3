"""A data platform's side of bulk export, authorised by SMART Backend
Services: sign a client assertion (PyJWT, ES384 or RS384, with a key
registered for the client), trade it at the token endpoint for an access
token, read the service's Group through fhirpy (a FHIR client library from
PyPI, pinned by scripts/test), then run a Group-level $export to completion
over plain HTTP (fhirpy has no bulk support): kick-off, status polling,
the manifest and every NDJSON file, with the access token throughout. Run
by crates/bothy_web/tests/it/fhirpy_export.rs against a served Bothy.

    python fhirpy_export.py export BASE PUBLIC_BASE CLIENT_ID KEY_FILE KID ALG GROUP NOW

PUBLIC_BASE is the base Bothy writes its URLs with (its public URL), when it
is served at another address; the token's audience is PUBLIC_BASE/token.
NOW is the server's time in seconds since the epoch (a test's clock), from
which the assertion expires four minutes on.

Prints one JSON object of what the client saw, every resource included,
for the Rust test to check and validate as FHIR R4.
"""

import json
import sys
import time
import uuid


def local(url, base, public):
    """A URL Bothy gave out, at the address it is served on."""
    return base + url[len(public):] if url.startswith(public) else url


def token(base, public, client_id, key_file, kid, alg, now):
    import jwt
    import requests

    with open(key_file, "rb") as f:
        key = f.read()
    assertion = jwt.encode(
        {
            "iss": client_id,
            "sub": client_id,
            "aud": f"{public}/token",
            "exp": now + 240,
            "jti": str(uuid.uuid4()),
        },
        key,
        algorithm=alg,
        headers={"kid": kid},
    )
    config = requests.get(f"{base}/.well-known/smart-configuration", timeout=30).json()
    r = requests.post(
        local(config["token_endpoint"], base, public),
        data={
            "grant_type": "client_credentials",
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": assertion,
            "scope": "system/*.read",
        },
        timeout=30,
    )
    r.raise_for_status()
    return r.json()


def export(base, public, client_id, key_file, kid, alg, group, now):
    import requests
    from fhirpy import SyncFHIRClient

    t = token(base, public, client_id, key_file, kid, alg, int(now))
    auth = {"Authorization": f"Bearer {t['access_token']}"}
    c = SyncFHIRClient(base, authorization=auth["Authorization"], url_aliases=[public])
    g = c.reference("Group", group).to_resource()

    kick = requests.get(
        f"{base}/Group/{group}/$export",
        params={"_type": "Patient,QuestionnaireResponse,Observation", "_outputFormat": "application/fhir+ndjson"},
        headers={**auth, "Accept": "application/fhir+json", "Prefer": "respond-async"},
        timeout=30,
    )
    assert kick.status_code == 202, (kick.status_code, kick.text)
    status_url = local(kick.headers["Content-Location"], base, public)
    polls = 0
    while True:
        polls += 1
        s = requests.get(status_url, headers=auth, timeout=30)
        if s.status_code == 200:
            break
        assert s.status_code == 202, (s.status_code, s.text)
        assert polls < 120, "the export did not complete"
        time.sleep(min(float(s.headers.get("Retry-After", "1")), 0.5))
    manifest = s.json()
    resources = []
    for f in manifest["output"]:
        # Without the token a file is refused.
        bare = requests.get(local(f["url"], base, public), timeout=30)
        assert bare.status_code == 401, bare.status_code
        r = requests.get(
            local(f["url"], base, public),
            headers={**auth, "Accept": "application/fhir+ndjson"},
            timeout=30,
        )
        r.raise_for_status()
        lines = [json.loads(line) for line in r.text.splitlines() if line.strip()]
        assert len(lines) == f["count"], (len(lines), f)
        resources += lines
    print(
        json.dumps(
            {
                "token_type": t["token_type"],
                "scope": t["scope"],
                "group": {"resourceType": g["resourceType"], "id": g["id"]},
                "manifest": manifest,
                "resources": resources,
            }
        )
    )


def main(argv):
    if argv[1:] == ["--check"]:
        import cryptography  # noqa: F401
        import fhirpy  # noqa: F401
        import jwt  # noqa: F401

        return 0
    if argv[1] == "export":
        export(*argv[2:10])
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

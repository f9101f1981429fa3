"""A GP system's side of a referral, through fhirpy (a FHIR client library
from PyPI, pinned by scripts/test): send a coded ServiceRequest, read it
back, and follow its status by search. Run by
crates/bothy_web/tests/it/fhirpy_referral.rs against a served Bothy.

    python fhirpy_referral.py --check
    python fhirpy_referral.py send BASE TOKEN REFERRAL.json
    python fhirpy_referral.py follow BASE TOKEN IDENTIFIER REQUESTER

Each command prints one JSON object of what the client saw.
"""

import json
import sys


def client(base, token):
    from fhirpy import SyncFHIRClient

    return SyncFHIRClient(base, authorization=f"Bearer {token}")


def statuses(found):
    return [r["status"] for r in found]


def send(base, token, path):
    with open(path, encoding="utf-8") as f:
        sent = json.load(f)
    c = client(base, token)
    sr = c.resource("ServiceRequest", **sent)
    sr.save()
    read = c.reference("ServiceRequest", sr["id"]).to_resource()
    key = f'{sent["identifier"][0]["system"]}|{sent["identifier"][0]["value"]}'
    found = c.resources("ServiceRequest").search(identifier=key).fetch()
    print(
        json.dumps(
            {
                "id": sr["id"],
                "read": read.serialize(),
                "found": [r["id"] for r in found],
                "statuses": statuses(found),
            }
        )
    )


def follow(base, token, identifier, requester):
    c = client(base, token)
    by_key = c.resources("ServiceRequest").search(identifier=identifier).fetch()
    by_requester = (
        c.resources("ServiceRequest")
        .search(**{"requester:identifier": requester})
        .fetch_all()
    )
    print(
        json.dumps(
            {
                "statuses": statuses(by_key),
                "by_requester": [r["id"] for r in by_requester],
            }
        )
    )


def main(argv):
    if argv[1:] == ["--check"]:
        import fhirpy  # noqa: F401

        return 0
    if argv[1] == "send":
        send(*argv[2:5])
    elif argv[1] == "follow":
        follow(*argv[2:6])
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

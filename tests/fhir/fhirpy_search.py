"""A data platform's side of search, through fhirpy (a FHIR client library
from PyPI, pinned by scripts/test): page through a service's
QuestionnaireResponses, oldest received first, with their patients
included, count them, and ask for some elements only. Run by
crates/bothy_web/tests/it/fhirpy_search.rs against a served Bothy.

    python fhirpy_search.py page BASE TOKEN PUBLIC_BASE

PUBLIC_BASE is the base Bothy writes its links with (its public URL), when
it is served at another address.

Prints one JSON object of what the client saw.
"""

import json
import sys


def page(base, token, public):
    from fhirpy import SyncFHIRClient

    c = SyncFHIRClient(base, authorization=f"Bearer {token}", url_aliases=[public])
    search = (
        c.resources("QuestionnaireResponse")
        .sort("_lastUpdated")
        .limit(2)
        .include("QuestionnaireResponse", "subject")
    )
    # fetch_all follows each page's next link (a cursor) to the end.
    matched = [r["id"] for r in search.fetch_all()]
    # fhirpy keeps only the searched type from a page; the first page as
    # sent shows what _include added.
    first = c._fetch_resource("QuestionnaireResponse", search.params)
    entries = first.get("entry", [])
    by_mode = lambda mode: [  # noqa: E731
        e["resource"]["id"] for e in entries if e["search"]["mode"] == mode
    ]
    subjects = [r["subject"]["reference"] for r in search.elements("subject").fetch()]
    print(
        json.dumps(
            {
                "matched": matched,
                "count": search.count(),
                "first_matches": by_mode("match"),
                "first_included": sorted(by_mode("include")),
                "subjects": subjects,
            }
        )
    )


def main(argv):
    if argv[1:] == ["--check"]:
        import fhirpy  # noqa: F401

        return 0
    if argv[1] == "page":
        page(*argv[2:5])
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

"""Runs the official OCDS checker, libcoveocds, without the network.

libcoveocds downloads the standard's schema and every extension a package names. The
machines that run our tests reach package registries only, so this wrapper serves those
downloads from the archives beside it (see README.md) and then runs libcoveocds's own
command line unchanged:

    python tests/ocds/cove.py FILE.json

prints libcoveocds's JSON report. Any other download fails as it would offline.
"""

import io
import pathlib
import sys
import zipfile

import requests
import requests.adapters
import urllib3

HERE = pathlib.Path(__file__).resolve().parent
STANDARD_ZIP = HERE / "standard-1__1__5.zip"
MIRRORS = {
    # URL prefix: (archive, member prefix)
    "https://standard.open-contracting.org/schema/1__1__5/": (STANDARD_ZIP, "standard-1__1__5/schema/"),
}
# Whole archives, as GitHub serves them.
ARCHIVES = {}
for _extension in ("ocds_bid_extension", "ocds_lots_extension", "ocds_enquiry_extension"):
    _archive = HERE / f"{_extension}-v1.1.5.zip"
    MIRRORS[f"https://raw.githubusercontent.com/open-contracting-extensions/{_extension}/v1.1.5/"] = (
        _archive,
        f"{_extension}-1.1.5/",
    )
    ARCHIVES[f"https://github.com/open-contracting-extensions/{_extension}/archive/v1.1.5.zip"] = _archive

_send = requests.adapters.HTTPAdapter.send


def _respond(adapter, request, body, status, content_type):
    raw = urllib3.response.HTTPResponse(
        body=io.BytesIO(body),
        headers={"Content-Type": content_type},
        status=status,
        preload_content=False,
        request_url=request.url,
    )
    return adapter.build_response(request, raw)


def _mirrored_send(self, request, **kwargs):
    if request.url in ARCHIVES:
        return _respond(self, request, ARCHIVES[request.url].read_bytes(), 200, "application/zip")
    for prefix, (archive, member_prefix) in MIRRORS.items():
        if request.url.startswith(prefix):
            member = member_prefix + request.url[len(prefix):]
            with zipfile.ZipFile(archive) as zf:
                try:
                    body, status = zf.read(member), 200
                except KeyError:
                    body, status = b"", 404
            return _respond(self, request, body, status, "application/json; charset=utf-8")
    return _send(self, request, **kwargs)


requests.adapters.HTTPAdapter.send = _mirrored_send

if __name__ == "__main__":
    from libcoveocds.__main__ import main

    sys.argv = [
        "libcoveocds",
        *sys.argv[1:],
        "--schema-version",
        "1.1",
        "--standard-zip",
        str(STANDARD_ZIP),
    ]
    main()

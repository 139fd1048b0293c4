"""Compiles OCDS releases with the reference tools, `ocdskit compile` (which merges with
`ocdsmerge`), without the network:

    python tests/ocds/compile.py < RELEASE_PACKAGE.json

prints the compiled release of each ocid, one JSON per line, as `ocdskit compile` does.
The merge rules come from the release schema of OCDS 1.1.5 patched with the Bids, Lots
and Enquiries extensions, all read from the archives beside this file (see README.md),
as `ocdskit` would download and patch them.
"""

import json
import pathlib
import sys
import tempfile
import zipfile

import json_merge_patch

HERE = pathlib.Path(__file__).resolve().parent


def patched_release_schema():
    with zipfile.ZipFile(HERE / "standard-1__1__5.zip") as zf:
        schema = json.loads(zf.read("standard-1__1__5/schema/release-schema.json"))
    for extension in ("ocds_bid_extension", "ocds_lots_extension", "ocds_enquiry_extension"):
        with zipfile.ZipFile(HERE / f"{extension}-v1.1.5.zip") as zf:
            patch = json.loads(zf.read(f"{extension}-1.1.5/release-schema.json"))
        schema = json_merge_patch.merge(schema, patch)
    return schema


if __name__ == "__main__":
    from ocdskit.__main__ import main

    with tempfile.TemporaryDirectory() as directory:
        path = pathlib.Path(directory) / "release-schema.json"
        path.write_text(json.dumps(patched_release_schema()))
        sys.argv = ["ocdskit", "compile", "--schema", str(path)]
        main()

# pkilint's `lint_pkix_cert lint` over many certificates in one Python process (starting
# Python and importing pkilint once costs more than linting a certificate). Prints one JSON
# line per file: {"file": <path>, "report": <pkilint's JSON report, as text>}.
import contextlib
import io
import json
import sys

from pkilint.bin import lint_pkix_cert

for path in sys.argv[1:]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        lint_pkix_cert.main(["lint", "-s", "WARNING", "-f", "JSON", path])
    print(json.dumps({"file": path, "report": out.getvalue()}))

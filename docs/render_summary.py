"""Render the README's picture of the batch summary page: screen the example cases, write the
summary as HTML (docs/summary.html) and, where a headless Chromium or Chrome is at hand, a
screenshot of it (docs/summary.png). Never run by CI; nothing here is needed to use the program.

    python docs/render_summary.py [--lang nb|en]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from eligibility.batch import run_batch  # noqa: E402
from eligibility.batch.summary import build_summary, to_html  # noqa: E402

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lang", choices=["nb", "en"], default="nb")
    args = parser.parse_args()
    html_path, png_path = ROOT / "docs" / "summary.html", ROOT / "docs" / "summary.png"
    with tempfile.TemporaryDirectory() as tmp:
        results = Path(tmp) / "results.sqlite"
        run_batch([ROOT / "cases"], results, as_of=dt.date(2026, 11, 26), lang=args.lang)
        html_path.write_text(to_html(build_summary(results, args.lang), args.lang), encoding="utf-8")
    print(f"wrote {html_path}")
    browser = next((b for b in BROWSERS if shutil.which(b)), None)
    if browser is None:
        print("no headless Chromium/Chrome found: open docs/summary.html and take the picture by hand")
        return 0
    # Chromium refuses to run as root with its sandbox on (as in a container): turn it off only then.
    sandbox = ["--no-sandbox"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []
    subprocess.run([browser, "--headless", "--disable-gpu", "--hide-scrollbars", *sandbox,
                    f"--screenshot={png_path}", "--window-size=1200,1600", html_path.as_uri()],
                   check=True, timeout=120, capture_output=True)
    print(f"wrote {png_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

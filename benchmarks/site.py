"""The site and `pmkg serve`: time to generate, time to first paint, API latency per canned query.

- generate: the whole `pmkg site --out DIR` process (start-up included), median of --runs runs, next to the
  baseline `pmkg report landscape --out FILE.html` (the one HTML page pmkg wrote before the site) in the same run;
- first paint: Chromium (Debian's, through Playwright) loads the home page and the BGI actor page from disk and
  from `pmkg serve`; `performance.getEntriesByType("paint")` gives first-contentful-paint; median of --loads
  fresh pages, next to the landscape report as baseline;
- API: every canned query (its defaults) through `pmkg serve` (uvicorn, worker processes) with urllib, median
  of --runs after one warm-up, next to the same query run in-process by `run_query` on the embedded store
  (the floor: no HTTP, no worker).

    .venv/bin/python benchmarks/site.py --runs 5 --loads 5
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pmkg.catalogue import load_catalogue  # noqa: E402
from pmkg.federation import uses_service  # noqa: E402
from pmkg.query import EmbeddedBackend, run_query  # noqa: E402
from pmkg.site.pages import defaults_for  # noqa: E402
from pmkg.store import open_store  # noqa: E402
from tests.webserver import serving  # noqa: E402

PMKG = Path(sys.executable).parent / "pmkg"


def timed(cmd: list[str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode:
        raise SystemExit(f"{' '.join(cmd)} failed ({done.returncode}): {done.stderr[-2000:]}")
    return time.perf_counter() - start


def generation(tmp: Path, runs: int) -> dict[str, float]:
    site = [timed([str(PMKG), "site", "--out", str(tmp / "site"), "--root", str(ROOT)]) for _ in range(runs)]
    report = [timed([str(PMKG), "report", "landscape", "--out", str(tmp / "landscape.html"), "--root", str(ROOT)])
              for _ in range(runs)]
    return {"pmkg site (s)": statistics.median(site), "baseline: pmkg report landscape (s)": statistics.median(report)}


def first_paint(urls: dict[str, str], loads: int) -> dict[str, float]:
    from playwright.sync_api import sync_playwright

    out = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"])
        for name, url in urls.items():
            times = []
            for _ in range(loads):
                page = browser.new_page()
                page.goto(url, wait_until="load")
                fcp = page.evaluate("""() => new Promise(done => new PerformanceObserver((list, obs) => {
                    const e = list.getEntries().find(x => x.name === 'first-contentful-paint');
                    if (e) { obs.disconnect(); done(e.startTime); } }).observe({type: 'paint', buffered: true}))""")
                times.append(float(fcp))
                page.close()
            out[name] = statistics.median(times)
        browser.close()
    return out


def api_latency(base: str, runs: int) -> dict[str, dict[str, float]]:
    catalogue = load_catalogue(ROOT / "queries")
    backend = EmbeddedBackend(open_store(ROOT / "dist"))
    out = {}
    for name, spec in catalogue.items():
        if uses_service(spec.text):
            continue
        params = defaults_for(spec)
        query = "&".join(f"{k}={v}" for k, v in params.items())
        url = f"{base}/api/queries/{name}" + (f"?{query}" if query else "")
        http, local = [], []
        for i in range(runs + 1):
            start = time.perf_counter()
            with urllib.request.urlopen(url, timeout=120) as r:
                r.read()
            if i:
                http.append(time.perf_counter() - start)
            start = time.perf_counter()
            run_query(spec, params, backend)
            if i:
                local.append(time.perf_counter() - start)
        out[name] = {"api (ms)": 1000 * statistics.median(http), "baseline: run_query in-process (ms)":
                     1000 * statistics.median(local)}
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--loads", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="pmkg-bench-site-") as tmp_name:
        tmp = Path(tmp_name)
        results: dict[str, object] = {"generate": generation(tmp, args.runs)}
        site = tmp / "site"
        pages = {"home (file)": site / "index.html", "actor bgi (file)": site / "id/actor/bgi.html",
                 "baseline: landscape report (file)": tmp / "landscape.html"}
        with serving(ROOT, site) as served:
            urls = {k: v.as_uri() for k, v in pages.items()}
            urls |= {"home (served)": served.url + "/", "actor bgi (served)": served.url + "/id/actor/bgi"}
            results["first contentful paint (ms)"] = first_paint(urls, args.loads)
            results["api"] = api_latency(served.url, args.runs)
        pages_written = sum(1 for _ in site.rglob("*.html"))
        size = sum(p.stat().st_size for p in site.rglob("*") if p.is_file())
        results["site"] = {"html pages": pages_written, "bytes": size}
    results["runs"] = {"runs": args.runs, "loads": args.loads}
    out = ROOT / "benchmarks" / "results" / "site.json"
    out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()

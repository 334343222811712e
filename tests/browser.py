"""Headless Chromium for the HTML-report tests, with the standard library only.

``inspect_page`` opens a copy of the page with a probe script inserted first in
``<head>`` (before the report's Content-Security-Policy, so the policy still
governs everything the report itself loads).  The probe records script errors,
``console.error`` calls and CSP violations, and on ``load`` measures every
``<img>`` and top-level ``<svg>``; it writes its verdict as JSON into the DOM,
which ``--dump-dom`` hands back.  Chromium's own console log
(``--enable-logging=stderr``) is read too, so messages logged before the probe
ran are not missed.  ``screenshot`` renders the unmodified page to a PNG.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars")
PROBE_ID = "pmkg-browser-probe"
PROBE = """<script>(function () {
  var seen = {errors: [], console: [], csp: []};
  window.addEventListener("error", function (e) { seen.errors.push(String(e.message || e.type)); }, true);
  window.addEventListener("securitypolicyviolation", function (e) {
    seen.csp.push(e.violatedDirective + " " + e.blockedURI); });
  var original = console.error;
  console.error = function () { seen.console.push(Array.prototype.join.call(arguments, " "));
    return original.apply(console, arguments); };
  window.addEventListener("load", function () {
    var images = Array.prototype.map.call(document.images, function (img) {
      return {src: img.src.slice(0, 80), ok: img.complete && img.naturalWidth > 0 && img.naturalHeight > 0}; });
    var svgs = Array.prototype.filter.call(document.querySelectorAll("svg"), function (s) {
      return !s.parentElement.closest("svg"); }).map(function (s) {
      var r = s.getBoundingClientRect();
      return {label: s.getAttribute("aria-label") || "", width: r.width, height: r.height,
              marks: s.querySelectorAll("path, rect, line, circle, ellipse, polygon, polyline, use").length,
              texts: s.querySelectorAll("text").length}; });
    var clipped = [];
    Array.prototype.forEach.call(document.querySelectorAll("table"), function (t, i) {
      var r = t.getBoundingClientRect();
      for (var el = t.parentElement; el && el !== document.body; el = el.parentElement) {
        var style = getComputedStyle(el), box = el.getBoundingClientRect();
        var hides = style.overflowX !== "visible" || style.overflowY !== "visible";
        if (hides && (r.right > box.right + 1 || r.bottom > box.bottom + 1 || el.scrollHeight > el.clientHeight + 1
                      || el.scrollWidth > el.clientWidth + 1)) {
          clipped.push("table " + i + " inside " + el.tagName.toLowerCase() + "." + el.className);
          break;
        }
      }
      if (r.right > document.documentElement.clientWidth + 1) { clipped.push("table " + i + " wider than the page"); }
    });
    var out = document.createElement("pre");
    out.id = "__PROBE_ID__";
    out.textContent = JSON.stringify({errors: seen.errors, console: seen.console, csp: seen.csp,
      images: images, svgs: svgs, charts: document.querySelectorAll("figure.chart").length, clipped: clipped,
      tables: document.querySelectorAll("table").length});
    document.body.appendChild(out);
  });
})();</script>""".replace("__PROBE_ID__", PROBE_ID)
CONSOLE_LINE = re.compile(r":CONSOLE[:(]\d+\)?\]\s*(.*)")


def chromium_binary() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if found := shutil.which(name):
            return found
    return None


@dataclass
class PageReport:
    errors: list[str]
    console: list[str]
    csp: list[str]
    images: list[dict]
    svgs: list[dict]
    charts: int
    chromium_console: list[str]
    clipped: list[str]
    tables: int

    def problems(self) -> list[str]:
        """Everything wrong with the page, one line each; empty when it is clean."""
        out = [f"script error: {e}" for e in self.errors]
        out += [f"console.error: {c}" for c in self.console]
        out += [f"CSP violation: {c}" for c in self.csp]
        out += [f"console message: {c}" for c in self.chromium_console]
        out += [f"broken image: {i['src']}" for i in self.images if not i["ok"]]
        out += [f"clipped: {c}" for c in self.clipped]
        out += [f"empty svg {s['label']!r}: {s['width']}x{s['height']}, {s['marks']} marks" for s in self.svgs
                if s["width"] < 20 or s["height"] < 20 or s["marks"] < 3]
        return out


def _run(args: list[str], timeout: float = 120) -> subprocess.CompletedProcess[str]:
    binary = chromium_binary()
    if binary is None:
        raise RuntimeError("no chromium on PATH")
    with tempfile.TemporaryDirectory(prefix="pmkg-chromium-") as profile:
        return subprocess.run([binary, *FLAGS, f"--user-data-dir={profile}", *args], capture_output=True,
                              text=True, timeout=timeout, check=False)


def inspect_page(html: Path) -> PageReport:
    """Open ``html`` (with the probe) in headless Chromium and report what the probe saw."""
    text = html.read_text(encoding="utf-8")
    head = re.search(r"<head[^>]*>", text)
    if head is None:
        raise ValueError(f"{html} has no <head>")
    probed = html.with_name(html.stem + ".probe.html")
    probed.write_text(text[: head.end()] + PROBE + text[head.end():], encoding="utf-8")
    try:
        done = _run(["--enable-logging=stderr", "--v=0", "--virtual-time-budget=5000", "--window-size=1280,1000",
                     "--dump-dom",
                     probed.resolve().as_uri()])
    finally:
        probed.unlink()
    match = re.search(rf'<pre id="{PROBE_ID}">(.*?)</pre>', done.stdout, re.S)
    if match is None:
        raise AssertionError(f"the probe did not report (exit {done.returncode}); stderr:\n{done.stderr[-2000:]}")
    data = json.loads(match.group(1).replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&"))
    console = [m.group(1) for line in done.stderr.splitlines() if (m := CONSOLE_LINE.search(line))]
    return PageReport(data["errors"], data["console"], data["csp"], data["images"], data["svgs"],
                      data["charts"], console, data["clipped"], data["tables"])


def screenshot(html: Path, png: Path, width: int = 1280, height: int = 3000) -> Path:
    """Render the page (as it is, no probe) to ``png``."""
    png.parent.mkdir(parents=True, exist_ok=True)
    done = _run([f"--window-size={width},{height}", f"--screenshot={png.resolve()}", html.resolve().as_uri()])
    if not png.is_file():
        raise AssertionError(f"no screenshot written (exit {done.returncode}): {done.stderr[-2000:]}")
    return png


def print_pdf(html: Path, pdf: Path) -> Path:
    """Print the page to ``pdf`` as Chromium's print-to-PDF does (the report's print styles apply)."""
    done = _run(["--no-pdf-header-footer", f"--print-to-pdf={pdf.resolve()}", html.resolve().as_uri()])
    if not pdf.is_file():
        raise AssertionError(f"no PDF written (exit {done.returncode}): {done.stderr[-2000:]}")
    return pdf

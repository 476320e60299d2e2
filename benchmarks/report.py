"""Benchmark of the report's first paint: how long an office PC waits before the text appears.

1. builds the sample report once into benchmarks/out/report (sample → clean → metrics → report;
   --rebuild to redo, --html to measure a given report.html instead);
2. writes a copy of the same page with the charts removed (plotly.js, every chart box and its JSON);
3. opens each in headless Chromium with the CPU throttled 4× (DevTools Emulation.setCPUThrottlingRate,
   a slow office PC) and reads first contentful paint from the page's own paint timing, alternating
   the two pages --repeat times;
4. prints the medians and their ratio: the report with its charts against the same page without.

Target: ratio ≤ 1.2× (the text and tables paint before plotly.js loads). A ratio, not seconds: the
machine is shared, and both pages are measured in the same run.

Usage: python benchmarks/report.py [--repeat 7] [--rebuild] [--html PATH] [--rate 4]
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
OUT = ROOT / "benchmarks" / "out" / "report"
PY = sys.executable
CHROMIUM = "/usr/bin/chromium"
TARGET = 1.2

FCP = """() => new Promise(done => {
  const seen = performance.getEntriesByName('first-contentful-paint');
  if (seen.length) { done(seen[0].startTime); return; }
  new PerformanceObserver(list => {
    const e = list.getEntries().find(x => x.name === 'first-contentful-paint');
    if (e) done(e.startTime);
  }).observe({type: 'paint', buffered: true});
})"""


def build() -> Path:
    """The sample report, built once with the project's own commands."""
    html = OUT / "reports" / "report.html"
    if html.exists():
        return html
    for args in (["sample", "--out", str(OUT / "raw")], ["clean", "--raw", str(OUT / "raw"), "--out", str(OUT / "processed")],
                 ["metrics", "--processed", str(OUT / "processed")],
                 ["report", "--processed", str(OUT / "processed"), "--out", str(OUT / "reports"), "--no-pdf"]):
        print("python -m pipelines", " ".join(args), flush=True)
        subprocess.run([PY, "-m", "pipelines", *args], check=True, cwd=ROOT, capture_output=True)
    return html


def without_charts(html: Path) -> Path:
    """The same page with every chart box, its figure JSON and plotly.js taken out."""
    text = html.read_text(encoding="utf-8")
    text = re.sub(r'<script (?:id="rwb-plotly-src" type="text/plain"|type="text/plain" id="rwb-plotly-src")>.*?</script>',
                  "", text, flags=re.S)
    text = re.sub(r'<div class="rwb-chart[^"]*"[^>]*>.*?</script></div>', "", text, flags=re.S)
    assert 'class="rwb-figure"' not in text and 'id="rwb-plotly-src"' not in text, "charts left in the copy"
    out = html.with_name(html.stem + ".no-charts.html")
    out.write_text(text, encoding="utf-8")
    return out


def first_paint(browser, path: Path, rate: float) -> float:
    page = browser.new_page(viewport={"width": 1000, "height": 1300})
    cdp = page.context.new_cdp_session(page)
    cdp.send("Emulation.setCPUThrottlingRate", {"rate": rate})
    page.route("**/*", lambda r: r.continue_() if r.request.url.startswith(("file:", "blob:", "data:")) else r.abort())
    page.goto(path.resolve().as_uri(), wait_until="commit")
    ms = float(page.evaluate(FCP))
    page.close()
    return ms


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--rate", type=float, default=4.0, help="CPU throttling rate (4 = four times slower)")
    ap.add_argument("--rebuild", action="store_true")
    ap.add_argument("--html", type=Path, default=None)
    args = ap.parse_args()
    if args.rebuild and OUT.exists():
        import shutil

        shutil.rmtree(OUT)
    full = args.html or build()
    bare = without_charts(full)
    from playwright.sync_api import sync_playwright

    times: dict[str, list[float]] = {"with charts": [], "without charts": []}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        first_paint(browser, full, args.rate)  # warm the browser's caches once
        for _ in range(args.repeat):
            times["with charts"].append(first_paint(browser, full, args.rate))
            times["without charts"].append(first_paint(browser, bare, args.rate))
        browser.close()
    print(f"pages: {full} ({full.stat().st_size / 1e6:.1f} MB), {bare} ({bare.stat().st_size / 1e6:.1f} MB)")
    print(f"CPU throttled {args.rate:g}×, {args.repeat} runs each, first contentful paint (ms):")
    for name, values in times.items():
        print(f"  {name:15s} median {statistics.median(values):7.0f}  runs {', '.join(f'{v:.0f}' for v in values)}")
    ratio = statistics.median(times["with charts"]) / statistics.median(times["without charts"])
    print(f"ratio {ratio:.2f}× (target ≤ {TARGET}×): {'ok' if ratio <= TARGET else 'MISSED'}")
    return 0 if ratio <= TARGET else 1


if __name__ == "__main__":
    raise SystemExit(main())

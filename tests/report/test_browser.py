"""The report in a real browser: headless Chromium (Debian ``chromium`` + ``chromium-driver``)
driven by Selenium opens report.html from disk and checks what a person would see.

Skipped, with the reason, when Chromium, chromedriver or Selenium is missing; ``make test``
installs Chromium first where it can (root with apt-get).
"""

from __future__ import annotations

import shutil

import pandas as pd
import pytest
import yaml
from click.testing import CliRunner
from PIL import Image

from rotation.backtest import run_backtest
from rotation.cli import main
from rotation.report import build_html, find_chromium, load_run, screenshot, write_report
from rotation.report.browser import FLAGS
from rotation.report.thesis import thesis_html
from rotation.runs import save
from rotation.validate import load_config
from tests.helpers import CONFIGS, STRATEGIES, base_config, synthetic_thesis

webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed")
CHROMIUM = find_chromium()
CHROMEDRIVER = shutil.which("chromedriver")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None or CHROMEDRIVER is None,
    reason="needs Chromium and chromedriver (apt-get install chromium chromium-driver; "
    "`make test` installs them when run as root)",
)

CHARTS = 15
WIDTH = 1280
NEW_SECTIONS = ("trailing", "distribution", "trading")  # issue 18: tables and charts of their own

# Collects uncaught errors and rejected promises from the first line of the page on.
CATCH_ERRORS = """
window.__errors = [];
window.addEventListener('error', function (e) { window.__errors.push(String(e.message)); });
window.addEventListener('unhandledrejection', function (e) {
  window.__errors.push(String(e.reason)); });
"""

# Per chart: id, traces in the figure, trace groups drawn, visible marks (line/fill paths,
# bars, heatmap image) with a non-empty box, and the chart's size on the page.
CHARTS_DRAWN = """
return Array.from(document.querySelectorAll('div.chart')).map(function (el) {
  var marks = Array.from(el.querySelectorAll(
    '.scatterlayer .trace path.js-line, .scatterlayer .trace path.js-fill, ' +
    '.barlayer .point path, .heatmaplayer image')).filter(function (m) {
      var box = m.getBoundingClientRect(); return box.width > 0 && box.height > 0; });
  var box = el.getBoundingClientRect();
  return {id: el.id, traces: (el.data || []).length,
          drawn: el.querySelectorAll('.scatterlayer .trace, .barlayer .trace, .heatmaplayer .hm')
                   .length,
          marks: marks.length, width: box.width, height: box.height};
});
"""


def _browser(profile, *, javascript: bool = True):
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (*FLAGS, f"--user-data-dir={profile}", f"--window-size={WIDTH},1000"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    if not javascript:
        # the flag turns scripting off before the first page; the content setting alone was
        # seen to arrive late once in a fresh clone, leaving JavaScript on (no <noscript> shown)
        options.add_argument("--blink-settings=scriptEnabled=false")
        options.add_experimental_option(
            "prefs", {"profile.managed_default_content_settings.javascript": 2}
        )
    service = webdriver.ChromeService(executable_path=CHROMEDRIVER)
    driver = webdriver.Chrome(options=options, service=service)
    driver.set_page_load_timeout(60)
    return driver


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    """A fresh run folder (a small config over the bundled snapshot) with its report, static
    PNG copies included (``test_static_images_show_when_javascript_is_off`` checks them)."""
    config = tmp_path_factory.mktemp("config") / "browser.yaml"
    raw = {"strategies_dir": str(STRATEGIES), **base_config(start="2021-01-04")}
    config.write_text(yaml.safe_dump(raw, sort_keys=False))
    folder = save(run_backtest(load_config(config)), tmp_path_factory.mktemp("results"))
    return write_report(folder, static=True)


@pytest.fixture(scope="module")
def page(report, tmp_path_factory):
    """The report loaded in headless Chromium: (driver, error list, chart states)."""
    driver = _browser(tmp_path_factory.mktemp("profile"))
    try:
        driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": CATCH_ERRORS})
        driver.get(report.resolve().as_uri())
        yield driver
    finally:
        driver.quit()


def test_no_javascript_errors(page):
    assert page.execute_script("return window.__errors") == []
    severe = [entry for entry in page.get_log("browser") if entry["level"] == "SEVERE"]
    assert severe == []


def test_every_chart_is_drawn(page):
    charts = page.execute_script(CHARTS_DRAWN)
    assert len(charts) == CHARTS
    for chart in charts:
        assert chart["traces"] > 0, chart
        assert chart["drawn"] == chart["traces"], chart
        assert chart["marks"] > 0, chart
        assert chart["width"] > 300 and chart["height"] > 200, chart


def test_nothing_is_fetched_from_the_network(page):
    assert page.execute_script("return location.protocol") == "file:"
    fetched = page.execute_script(
        "return performance.getEntriesByType('resource').map(function (e) { return e.name; })"
    )
    assert all(url.startswith(("file:", "data:")) for url in fetched), fetched


def test_log_scale_button_switches_the_equity_axis(page):
    axis = "return document.getElementById('chart-equity')._fullLayout.yaxis.type"
    assert page.execute_script(axis) == "log"
    page.execute_script(
        "var buttons = document.querySelectorAll('#chart-equity .updatemenu-button');"
        "buttons[1].dispatchEvent(new MouseEvent('click', {bubbles: true}));"
    )
    assert page.execute_script(axis) == "linear"
    page.execute_script(
        "document.querySelectorAll('#chart-equity .updatemenu-button')[0]"
        ".dispatchEvent(new MouseEvent('click', {bubbles: true}));"
    )
    assert page.execute_script(axis) == "log"


def test_full_page_screenshot_is_saved_in_the_run_folder(page, report):
    height = page.execute_script("return document.documentElement.scrollHeight")
    page.set_window_size(WIDTH, height)
    target = report.parent / "report.png"
    assert page.save_screenshot(str(target))
    with Image.open(target) as image:
        assert image.width >= WIDTH * 0.9 and image.height >= height * 0.9
        colors = image.convert("RGB").resize((200, 200)).getcolors(maxcolors=100_000)
    assert len(colors) > 200  # charts and text, not a blank page


def test_static_images_show_when_javascript_is_off(report, tmp_path):
    driver = _browser(tmp_path / "profile", javascript=False)
    try:
        driver.get(report.resolve().as_uri())
        shown = driver.execute_script(
            "return Array.from(document.querySelectorAll('img.static')).map(function (img) {"
            " var block = img.closest('.block'), title = block.querySelector('h3');"
            " return [img.complete, img.naturalWidth, img.getBoundingClientRect().height,"
            " img.getBoundingClientRect().top - title.getBoundingClientRect().bottom]; })"
        )
    finally:
        driver.quit()
    assert len(shown) == CHARTS
    assert all(done and width > 0 and height > 0 for done, width, height, _ in shown), shown
    # each PNG right under its caption: no room kept for a chart that JavaScript would draw
    assert all(0 <= gap < 20 for *_, gap in shown), shown


@pytest.mark.parametrize("width", [375, 600])
def test_narrow_window_never_scrolls_sideways(report, tmp_path, width):
    """Phone and small-tablet widths (emulated: a desktop window cannot be made that narrow):
    the page is no wider than the window; wide tables scroll inside their own box."""
    driver = _browser(tmp_path / "profile")
    try:
        driver.execute_cdp_cmd(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": 800, "deviceScaleFactor": 1, "mobile": False},
        )
        driver.get(report.resolve().as_uri())
        widths = driver.execute_script(
            "return [document.documentElement.scrollWidth, document.documentElement.clientWidth,"
            " Math.max.apply(null, Array.from(document.querySelectorAll('div.chart'))"
            ".map(function (el) { return el.getBoundingClientRect().right; }))]"
        )
    finally:
        driver.quit()
    scroll, client, chart_right = widths
    assert client == width
    assert scroll <= client, widths
    assert chart_right <= client, widths


def test_new_sections_show_their_tables_and_charts(page):
    """The sections of issue 18 are on the page with rows a reader can see, and their charts
    (rolling beta, distribution, turnover, costs) are drawn; the regime view is clipped."""
    found = page.execute_script(
        "return arguments[0].map(function (id) { var s = document.getElementById(id);"
        " return [id, s.getBoundingClientRect().height,"
        " s.querySelectorAll('tbody tr').length]; })",
        list(NEW_SECTIONS),
    )
    for section, height, rows in found:
        assert height > 150 and rows >= 3, (section, height, rows)
    drawdown_rows = page.execute_script(
        "return document.querySelectorAll('#drawdown table.drawdowns tbody tr').length"
    )
    assert drawdown_rows >= 1
    charts = {chart["id"]: chart for chart in page.execute_script(CHARTS_DRAWN)}
    for chart_id in ("chart-rolling-beta", "chart-distribution", "chart-turnover", "chart-costs"):
        assert charts[chart_id]["marks"] > 0 and charts[chart_id]["height"] > 200, chart_id
    view = page.execute_script(
        "return document.getElementById('chart-regime')._fullLayout.yaxis.range"
    )
    wanted = page.execute_script(
        "return document.getElementById('chart-regime').layout.yaxis.range"
    )
    assert view == pytest.approx(wanted)


def test_cli_screenshot_uses_chromium_directly(report, tmp_path):
    target = screenshot(report, tmp_path / "cli.png")
    with Image.open(target) as image:
        assert image.width == WIDTH and image.height > 2000


def test_compare_and_signals_pages_render_offline_without_errors(report, tmp_path):
    """The other pages, in the tearsheet's frame, draw every chart with no error."""
    from rotation.diagnose import signal_history
    from rotation.report.signals import signal_chart_html
    from rotation.report.studies import compare_page

    run = load_run(report.parent)
    values = {"strategy": run.equity["value"], "benchmark": run.equity["benchmark"]}
    table = pd.DataFrame({"sharpe": [1.0, 0.5]}, index=list(values))
    pages = {
        tmp_path / "compare.html": ["chart-compare-equity", "chart-compare-drawdown"],
        tmp_path / "chart.html": ["chart-signals"],
    }
    (tmp_path / "compare.html").write_text(compare_page(values, table), encoding="utf-8")
    config = load_config(CONFIGS / "capital_scarcity.yaml")
    signal_chart_html(signal_history(config), tmp_path / "chart.html")
    driver = _browser(tmp_path / "profile")
    try:
        driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": CATCH_ERRORS})
        for path, expected in pages.items():
            driver.get(path.resolve().as_uri())
            charts = driver.execute_script(CHARTS_DRAWN)
            assert driver.execute_script("return window.__errors") == [], path
            assert [c["id"] for c in charts] == expected
            for chart in charts:
                assert chart["traces"] > 0 and chart["drawn"] == chart["traces"], chart
                assert chart["marks"] > 0, chart
    finally:
        driver.quit()


def test_thesis_page_renders_offline_without_errors(report, tmp_path):
    """A SYNTHETIC thesis dict with the real attribution of the fixture's bundled run."""
    attribution = load_run(report.parent).attribution().to_json()
    target = tmp_path / "thesis.html"
    target.write_text(thesis_html(synthetic_thesis(attribution)), encoding="utf-8")
    driver = _browser(tmp_path / "profile")
    try:
        driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": CATCH_ERRORS})
        driver.get(target.resolve().as_uri())
        errors = driver.execute_script("return window.__errors")
        severe = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
        charts = driver.execute_script(CHARTS_DRAWN)
        fetched = driver.execute_script(
            "return performance.getEntriesByType('resource').map(function (e) { return e.name; })"
        )
        lead = driver.find_element("css selector", ".verdict p.lead")
        lead_size, lead_text = lead.value_of_css_property("font-size"), lead.text
    finally:
        driver.quit()
    assert errors == [] and severe == []
    assert [c["id"] for c in charts] == ["chart-contribution-sleeve", "chart-contribution-asset"]
    for chart in charts:
        assert chart["traces"] > 0 and chart["drawn"] == chart["traces"], chart
        assert chart["marks"] > 0, chart
    assert all(url.startswith(("file:", "data:")) for url in fetched), fetched
    assert lead_text.startswith("SYNTHETIC") and float(lead_size.rstrip("px")) > 14


def test_a_screenshot_replaces_a_planted_link_and_never_writes_through_it(report, tmp_path):
    """report.png a symbolic link to another file (or a dangling one): the PNG takes the
    link's place, the file it pointed to is untouched, and nothing is written elsewhere."""
    folder = tmp_path / "run"
    folder.mkdir()
    page = folder / "report.html"
    page.write_bytes(report.read_bytes())
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    for target in (victim, tmp_path / "missing" / "x.png"):
        link = folder / "report.png"
        link.unlink(missing_ok=True)
        link.symlink_to(target)
        out = CliRunner().invoke(main, ["report", str(folder), "--screenshot"])
        assert "Traceback" not in out.output and "internal error" not in out.output
        assert out.exit_code in (0, 1), out.output
        shot = screenshot(page)
        assert not shot.is_symlink() and shot.read_bytes().startswith(b"\x89PNG")
        assert victim.read_text() == "keep me" and not (tmp_path / "missing").exists()


def test_hostile_text_from_a_run_folder_runs_no_script(report, tmp_path):
    """Script in every text a page shows from a file (an order's side, symbols, a signal
    column, the manifest's, metrics' and config's texts; ``hostile_run``) is shown as text:
    no alert, no handler, no injected element runs in Chromium."""
    from tests.report.test_run_folder import HOSTILE, hostile_run

    target = tmp_path / "hostile.html"
    target.write_text(build_html(hostile_run(report.parent)), encoding="utf-8")
    driver = _browser(tmp_path / "profile")
    try:
        driver.execute_cdp_cmd(
            "Page.addScriptToEvaluateOnNewDocument",
            {"source": CATCH_ERRORS + "window.alert = function () { window.__pwned = 'alert'; };"},
        )
        driver.get(target.resolve().as_uri())
        pwned = driver.execute_script("return window.__pwned || null")
        handlers = driver.execute_script("return document.querySelectorAll('[onerror]').length")
        text = driver.execute_script("return document.body.innerText")
        charts = driver.execute_script(CHARTS_DRAWN)
    finally:
        driver.quit()
    assert pwned is None and handlers == 0
    assert HOSTILE.split("<script>")[0] in text  # shown, as text
    assert len(charts) == CHARTS and all(c["marks"] > 0 for c in charts)

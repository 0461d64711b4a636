"""The clerk's page in a real browser: headless Chromium from Debian's packages, driven by
Selenium through chromium-driver, against a server started by the test. It uploads the example
enterprises and ledger and checks the rendered amounts, cited sentences, explanations and audit
findings against the library's own results.

With SUBSIDY_SCREENSHOT=FILE set, the page is also saved there (docs/images/serve-page.png is
made so)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.select import Select
from selenium.webdriver.support.ui import WebDriverWait

import subsidy
from serving import Running, running
from subsidy.serve import ServeConfig

REPO = Path(__file__).resolve().parents[2]
RULES = REPO / "rules"
ENTERPRISES = REPO / "examples" / "enterprises.yaml"
LEDGER = REPO / "examples" / "ledger.csv"


def grouped(amount: Decimal) -> str:
    return "¥" + f"{amount:,f}"


@pytest.fixture(scope="module")
def server() -> Iterator[Running]:
    with running(ServeConfig(rules=(str(RULES),))) as started:
        yield started


@pytest.fixture(scope="module")
def browser() -> Iterator[WebDriver]:
    chromium = shutil.which("chromium")
    driver_path = shutil.which("chromedriver")
    assert chromium and driver_path, "apt-get install chromium chromium-driver (scripts/install-deps.sh)"
    options = Options()
    options.binary_location = chromium
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                     "--window-size=1280,2000", "--lang=zh-CN"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def finished(driver: WebDriver, action: str) -> None:
    WebDriverWait(driver, 300).until(
        lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-done") == action
    )
    assert driver.find_element(By.ID, "message").text == ""


def run(driver: WebDriver, button: str) -> None:
    driver.execute_script("delete document.body.dataset.done")
    driver.find_element(By.ID, button).click()
    finished(driver, button)


def check_lines(driver: WebDriver, batch: subsidy.Batch) -> int:
    checked = 0
    for evaluation in batch:
        assert evaluation.ok
        block = driver.find_element(By.CSS_SELECTOR, f'[data-enterprise="{evaluation.enterprise}"]')
        total = block.find_element(By.CSS_SELECTOR, ".total")
        assert total.get_attribute("data-cash-max") == format(evaluation.totals.all.cash.max, "f")
        rows = block.find_elements(By.CSS_SELECTOR, "tr[data-line]")
        assert len(rows) == len(evaluation.lines)
        for line in evaluation.lines:
            row = block.find_element(By.CSS_SELECTOR, f'tr[data-line="{evaluation.enterprise}|{line.qualified_rule}"]')
            cell = row.find_element(By.CSS_SELECTOR, "td.amount")
            if line.amount is not None and line.status == "exact":
                assert cell.get_attribute("data-amount") == format(line.amount, "f")
                assert cell.text == grouped(line.amount)
                checked += 1
            assert line.citation.text.split("\n")[0] in row.text
    return checked


def test_the_clerks_page(server: Running, browser: WebDriver, tmp_path: Path) -> None:
    library = subsidy.RuleSet.load(RULES)
    browser.get(server.url + "/")
    WebDriverWait(browser, 300).until(lambda d: "policy sets" in d.find_element(By.ID, "ruleset").text)
    assert browser.title == "补贴计算 · Subsidy calculation"

    browser.find_element(By.ID, "facts").send_keys(str(ENTERPRISES))
    run(browser, "evaluate")
    assert check_lines(browser, library.evaluate_many(ENTERPRISES)) > 5

    # The click-through explanation: the trace steps of a line, as the library gives them.
    first = library.evaluate_many(ENTERPRISES, trace=True)[0]
    line = next(ln for ln in first.lines if ln.status == "exact" and ln.trace)
    row = browser.find_element(By.CSS_SELECTOR, f'tr[data-line="{first.enterprise}|{line.qualified_rule}"]')
    details = row.find_element(By.CSS_SELECTOR, "details.explain")
    assert not details.find_element(By.TAG_NAME, "pre").is_displayed()
    details.find_element(By.TAG_NAME, "summary").click()
    shown = details.find_element(By.TAG_NAME, "pre").text
    for step in line.trace:
        assert f"{step.kind}: {step.detail}".split("\n")[0] in shown

    # Another policy version, chosen on the page.
    group = library.groups[0]
    other = next(m for m in group.members if m != group.default)
    Select(browser.find_element(By.ID, f"group-{group.id}")).select_by_value(other)
    run(browser, "evaluate")
    assert check_lines(browser, library.choose({group.id: other}).evaluate_many(ENTERPRISES)) > 0
    Select(browser.find_element(By.ID, f"group-{group.id}")).select_by_value(group.default)
    run(browser, "evaluate")

    # The ledger's audit findings.
    browser.find_element(By.ID, "ledger").send_keys(str(LEDGER))
    run(browser, "audit")
    report = subsidy.audit(library, ENTERPRISES, LEDGER)
    summary = browser.find_element(By.ID, "audit-summary")
    assert summary.get_attribute("data-findings") == str(len(report.findings)) == "7"
    for finding in report.findings:
        row = browser.find_element(By.CSS_SELECTOR, f'tr[data-finding="{finding.row}|{finding.kind}"]')
        assert row.find_element(By.CSS_SELECTOR, "td[data-granted]").get_attribute("data-granted") == format(
            finding.granted, "f")
        assert finding.message.split("\n")[0] in row.text

    shot = tmp_path / "page.png"
    assert browser.save_screenshot(str(shot))
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    if os.environ.get("SUBSIDY_SCREENSHOT"):
        browser.execute_script("window.scrollTo(0, 0)")
        browser.save_screenshot(os.environ["SUBSIDY_SCREENSHOT"])


def test_a_bad_file_is_reported_on_the_page(server: Running, browser: WebDriver, tmp_path: Path) -> None:
    bad = tmp_path / "firms.csv"
    bad.write_text("id,industry,turnover\nE1,机械装备制造,1亿\n", encoding="utf-8")
    browser.get(server.url + "/")
    WebDriverWait(browser, 300).until(lambda d: "policy sets" in d.find_element(By.ID, "ruleset").text)
    browser.find_element(By.ID, "facts").send_keys(str(bad))
    browser.find_element(By.ID, "evaluate").click()
    WebDriverWait(browser, 300).until(lambda d: d.find_element(By.ID, "message").text != "")
    assert "turnover" in browser.find_element(By.ID, "message").text

#!/usr/bin/env python3
"""The web explorer in a real browser (Debian's chromium + chromedriver through python3-selenium,
headless, nothing downloaded): search, a highlighted result, a taxonomy filter and a source filter
changing the count and the URL, a record opened by keyboard, suggestions for pasted text.

Usage: browser_test.py AIRM_BINARY CORPUS_DIR [SCREENSHOT.png]
Exits 0 on success, 1 on failure, and 77 (CTest's SKIP_RETURN_CODE) with SKIPPED when chromium,
chromedriver or selenium is missing.
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

SKIP = 77


def skip(why):
    print("SKIPPED: " + why)
    sys.exit(SKIP)


try:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait
except ImportError:
    # Debian's python3-selenium lives in the system Python; another python3 may come first on PATH.
    if os.path.exists("/usr/bin/python3") and os.path.realpath(sys.executable) != os.path.realpath("/usr/bin/python3"):
        os.execv("/usr/bin/python3", ["/usr/bin/python3"] + sys.argv)
    skip("python3-selenium is not installed (tools/setup.sh installs it)")

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver") or ("/usr/bin/chromedriver" if os.path.exists("/usr/bin/chromedriver") else None)
if not CHROMIUM or not DRIVER:
    skip("chromium or chromium-driver is not installed (tools/setup.sh installs them)")


def main():
    airm, corpus = sys.argv[1], sys.argv[2]
    screenshot = sys.argv[3] if len(sys.argv) > 3 else None
    work = tempfile.mkdtemp(prefix="airm-browser-")
    server = None
    driver = None
    try:
        # The bundled records, each also carrying its source document as the facet "source" (as the
        # mit-csv preset does), so that the sidebar has lifecycle, actor and source filters.
        records = os.path.join(work, "records.jsonl")
        with open(os.path.join(corpus, "records.jsonl"), encoding="utf-8") as f, \
                open(records, "w", encoding="utf-8") as out:
            for line in f:
                if line.strip():
                    r = json.loads(line)
                    ref = (r.get("source") or {}).get("ref")
                    if ref:
                        r.setdefault("facets", {})["source"] = [ref]
                    out.write(json.dumps(r, ensure_ascii=False) + "\n")
        db = os.path.join(work, "idx")
        subprocess.run([airm, "index", "--db", db, "--taxonomy", os.path.join(corpus, "taxonomy.json"),
                        records], check=True, stdout=subprocess.DEVNULL)
        server = subprocess.Popen([airm, "serve", "--db", db, "--port", "0", "--host", "127.0.0.1",
                                   "--threads", "4", "--allow-writes"],
                                  stdout=subprocess.PIPE, text=True)
        url = server.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:"), "no URL printed: %r" % url
        deadline = time.time() + 20
        while True:
            try:
                with urllib.request.urlopen(url + "healthz", timeout=2) as r:
                    assert json.load(r)["status"] == "ok"
                break
            except OSError:
                if time.time() > deadline:
                    raise
                time.sleep(0.1)

        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                    "--user-data-dir=" + os.path.join(work, "chrome"), "--window-size=1200,900"):
            options.add_argument(arg)
        driver = webdriver.Chrome(service=Service(DRIVER), options=options)
        wait = WebDriverWait(driver, 20)
        driver.get(url)

        # Search as you type: a highlighted result appears and the URL holds the query.
        box = driver.find_element(By.ID, "q")
        box.send_keys("red teaming")
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#results li .snippet mark"))
        marks = [m.text.lower() for m in driver.find_elements(By.CSS_SELECTOR, "#results mark")]
        assert any("red" in m for m in marks), marks
        wait.until(lambda d: "q=red+teaming" in d.current_url)
        status = driver.find_element(By.ID, "status").text
        print("search:", status)

        # Clear the query, then tick a taxonomy code: the count and the URL change.
        box.clear()
        box.send_keys(Keys.ENTER)
        wait.until(lambda d: d.find_element(By.ID, "status").text.startswith("92 records"))
        before = driver.find_element(By.ID, "status").text
        code = driver.find_element(By.CSS_SELECTOR, 'input[data-facet="category"][data-value="3.1"]')
        label = driver.find_element(By.CSS_SELECTOR, 'label[for="%s"]' % code.get_attribute("id")).text
        code.send_keys(Keys.SPACE)  # keyboard, as a user without a mouse would
        wait.until(lambda d: "filter=category%3D3.1" in d.current_url)
        wait.until(lambda d: d.find_element(By.ID, "status").text != before)
        after = driver.find_element(By.ID, "status").text
        expected = label.rsplit("(", 1)[1].rstrip(")")
        assert after.startswith(expected + " record"), (after, label)
        print("filter 3.1:", after)
        assert driver.find_element(By.CSS_SELECTOR,
                                   'input[data-facet="category"][data-value="3.1"]').is_selected()
        # Back removes the filter again (state in the URL).
        driver.back()
        wait.until(lambda d: d.find_element(By.ID, "status").text == before)
        driver.forward()
        wait.until(lambda d: d.find_element(By.ID, "status").text == after)

        # The sidebar has lifecycle, actor and source filters; tick a source document (drill-sideways:
        # its count is the number of 3.1 records from it): the count and the URL follow.
        for facet in ("lifecycle", "actor", "source"):
            assert driver.find_elements(By.CSS_SELECTOR, 'input[data-facet="%s"]' % facet), facet + " filter missing"
        source = driver.find_element(By.CSS_SELECTOR, 'input[data-facet="source"]')
        value = source.get_attribute("data-value")
        label = driver.find_element(By.CSS_SELECTOR, 'label[for="%s"]' % source.get_attribute("id")).text
        source.send_keys(Keys.SPACE)
        wait.until(lambda d: "filter=source%3D" in d.current_url)
        wait.until(lambda d: d.find_element(By.ID, "status").text != after)
        narrowed = driver.find_element(By.ID, "status").text
        expected = label.rsplit("(", 1)[1].rstrip(")")
        assert narrowed.startswith(expected + " record"), (narrowed, label)
        assert "source=" + value in narrowed, narrowed
        print("filter source=%s:" % value, narrowed)
        with urllib.request.urlopen(url + "v1/search?" + urllib.parse.urlencode(
                [("filter", "category=3.1"), ("filter", "source=" + value), ("limit", "0")]), timeout=5) as r:
            assert json.load(r)["total"] == int(expected), "the API disagrees with the sidebar"

        # Open the first record by keyboard: focus its link and press Enter.
        link = driver.find_element(By.CSS_SELECTOR, "#results li a.result-title")
        title = link.text
        link.send_keys(Keys.ENTER)
        wait.until(lambda d: "view=record" in d.current_url)
        wait.until(lambda d: d.find_element(By.CSS_SELECTOR, "#record h2").text == title)
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#similar li a"))
        print("record:", title)

        # Code a new entry: paste a text, get suggestions with confidence and reasons.
        driver.find_element(By.ID, "to-code").send_keys(Keys.ENTER)
        text = driver.find_element(By.ID, "code-text")
        text.send_keys("Hire outside experts to red-team the model for dangerous capabilities before release.")
        driver.find_element(By.ID, "suggest-button").click()
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#suggestions li.suggestion"))
        first = driver.find_element(By.CSS_SELECTOR, "#suggestions li.suggestion")
        assert first.find_element(By.CSS_SELECTOR, ".bar").size["width"] > 0
        assert first.find_elements(By.CSS_SELECTOR, ".why a"), "no neighbour records shown"
        print("suggestion:", first.find_element(By.TAG_NAME, "label").text)
        # Tick it and save it as a record (writes are allowed here).
        first.find_element(By.CSS_SELECTOR, "input[type=checkbox]").send_keys(Keys.SPACE)
        driver.find_element(By.ID, "code-id").send_keys("NEW-BROWSER-1")
        driver.find_element(By.ID, "save-button").click()
        wait.until(lambda d: "93 records" in d.find_element(By.ID, "save-status").text)
        with urllib.request.urlopen(url + "v1/records/NEW-BROWSER-1", timeout=5) as r:
            saved = json.load(r)
        assert saved["facets"]["category"], saved

        if screenshot:
            driver.get(url + "?q=red+teaming")
            wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#results mark"))
            driver.save_screenshot(screenshot)
        print("browser test passed")
        return 0
    finally:
        if driver is not None:
            driver.quit()
        if server is not None:
            server.send_signal(signal.SIGTERM)
            try:
                code = server.wait(timeout=10)
                assert code == 0, "airm serve exited %d on SIGTERM" % code
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

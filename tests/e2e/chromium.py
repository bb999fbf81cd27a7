"""Headless Chromium as the tests drive it (Debian's chromium and chromium-driver,
through Selenium): one place for its flags."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

CHROMIUM, DRIVER = shutil.which("chromium"), shutil.which("chromedriver")
needed = pytest.mark.skipif(
    not (CHROMIUM and DRIVER),
    reason="Debian's chromium and chromium-driver are missing (`make test` installs them "
           "when run as root; otherwise: sudo apt-get install chromium chromium-driver)")


def start(profile: Path, *flags: str, prefs: dict[str, Any] | None = None) -> Any:
    """A headless Chromium with its own profile folder; quit() it when done."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--no-first-run", "--disable-background-networking", "--disable-sync",
                 "--disable-component-update", f"--user-data-dir={profile}", *flags):
        options.add_argument(flag)
    if prefs:
        options.add_experimental_option("prefs", prefs)
    driver = webdriver.Chrome(service=Service(str(DRIVER)), options=options)
    driver.set_page_load_timeout(20)
    return driver

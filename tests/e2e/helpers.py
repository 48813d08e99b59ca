"""Steps the browser tests share."""

from axe_playwright_python.base import AXE_SCRIPT

from tests.factories import PASSWORD

# The two screens of the browser tests: a laptop, and a phone with touch.
LAPTOP = {"viewport": {"width": 1280, "height": 800}}
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}
SCREENS = {1280: LAPTOP, 390: PHONE}


def log_in(page, username: str) -> None:
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_url("**/")


# axe-core's rules for WCAG 2.0, 2.1 and 2.2 at levels A and AA, and its best practices.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
BLOCKING = {"serious", "critical"}


def axe_violations(page, only: list[str] | None = None) -> tuple[list[str], list[str]]:
    """axe-core (as axe-playwright-python bundles it) over the page as it is, with the rules of
    ``AXE_TAGS`` or ``only`` those named: the serious and critical violations, then the others,
    each as ``rule (impact): help at where``."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(AXE_SCRIPT)
    rules = {"type": "rule", "values": only} if only else {"type": "tag", "values": AXE_TAGS}
    options = {"runOnly": rules, "resultTypes": ["violations"]}
    results = page.evaluate("options => axe.run(document, options)", options)
    serious, others = [], []
    for violation in results["violations"]:
        targets = ", ".join(" ".join(node["target"]) for node in violation["nodes"][:5])
        line = f"{violation['id']} ({violation['impact']}): {violation['help']} at {targets}"
        (serious if violation["impact"] in BLOCKING else others).append(line)
    return serious, others

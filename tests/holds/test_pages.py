"""The lot page: auditors see a lot's holds and place and release them with forms; the
operator reads only that its lot is held, and since when."""

import re
from urllib.parse import quote

from tests.api.conftest import LOTS, World
from tests.web.test_pages import csrf, logged_in

REASON = "exporter named in an intelligence referral"
PAGE = f"/lots/CHARLIE3/{quote(LOTS['CHARLIE3'])}"


def test_an_auditor_places_and_releases_a_hold_from_the_lot_page(world: World):
    with logged_in("aud.b") as auditor:
        page = auditor.get(PAGE)
        form = {"operator_code": "CHARLIE3", "lot_ref": LOTS["CHARLIE3"], "reason": REASON,
                "starts_at": "2026-09-03T08:00", "csrf_token": csrf(page.text)}  # fmt: skip
        placed = auditor.post("/holds", data=form, follow_redirects=False)
        shown = auditor.get(PAGE).text
        hold = re.search(r'action="/holds/(\d+)/release"', shown).group(1)
        released = auditor.post(f"/holds/{hold}/release", data={"reason": "examined", "csrf_token": csrf(shown)})
    assert placed.status_code == 303 and placed.headers["location"] == PAGE
    assert REASON in shown and "<td>2026-09-03 08:00</td>" in shown  # as typed, in the zone's local time
    assert released.status_code == 200 and f'action="/holds/{hold}/release"' not in released.text
    assert "examined" in released.text


def test_a_form_without_its_csrf_token_places_nothing(world: World):
    with logged_in("aud.b") as auditor:
        form = {"operator_code": "CHARLIE3", "lot_ref": LOTS["CHARLIE3"], "reason": "forged"}
        refused = auditor.post("/holds", data=form)
        assert refused.status_code == 403 and "forged" not in auditor.get(PAGE).text


def test_a_bad_moment_in_the_form_is_shown_not_a_server_error(world: World):
    with logged_in("aud.b") as auditor:
        form = {"operator_code": "CHARLIE3", "lot_ref": LOTS["CHARLIE3"], "reason": "x", "starts_at": "soon",
                "csrf_token": csrf(auditor.get(PAGE).text)}  # fmt: skip
        answer = auditor.post("/holds", data=form)
    assert answer.status_code == 422 and "is not an ISO 8601 date or date-time" in answer.text


def test_the_operator_reads_held_since_and_nothing_of_customs(world: World):
    with logged_in("aud.a") as auditor:
        page = f"/lots/ALPHA1/{quote(LOTS['ALPHA1'])}"
        form = {"operator_code": "ALPHA1", "lot_ref": LOTS["ALPHA1"], "reason": REASON, "starts_at": "2026-09-05",
                "csrf_token": csrf(auditor.get(page).text)}  # fmt: skip
        auditor.post("/holds", data=form)
    with logged_in("op.alpha") as operator:
        shown = operator.get(page).text
    assert "Held from 2026-09-05 00:00 (Asia/Dubai)" in shown  # the day typed, in the zone's local time
    assert REASON not in shown and "aud.a" not in shown and "/holds" not in shown

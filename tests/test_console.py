"""The newsroom console in a real headless browser (Debian's chromium driven by Playwright)
against a real gateway with workers: log in, submit a spoken video to Whisper, watch it finish,
see the captions on the video at the right time, fix a cue and publish it, log out; and the
refusals (wrong key, expired session, forged form posts).

With ``CONSOLE_SCREENSHOTS=1`` the list and job pages are also saved to ``docs/console/``.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

import formats
from gateway.console.forms import CueEditError, captions_from_form, param_fields, params_from_form
from gateway.console.session import SESSION_MAX_AGE_S
from gateway.keys import digest
from tests.support.browser import browser_missing, headless_chromium
from tests.support.speech import NEWS_SCRIPT, speech_mp4
from tests.support.stack import API_KEY, GatewayStack

BROWSER_MISSING = browser_missing()
SCREENSHOTS = Path(__file__).resolve().parent.parent / "docs" / "console"
WAIT_MS = 120_000
KEEP_UPLOADS = {"storage": {"keep_uploads": True}}  # the job page plays the upload after the job ends
VIEWER_KEY = "viewer-key-0123456789"
KEYS = {"GATEWAY_API_KEYS": f"{API_KEY},viewer:read:{VIEWER_KEY}"}


def in_browser(test):
    """A test in a real browser against a real gateway: slow, and skipped where there is no browser."""
    return pytest.mark.slow(pytest.mark.skipif(BROWSER_MISSING is not None, reason=str(BROWSER_MISSING))(test))


@pytest.fixture(scope="module")
def stack(redis_server, tmp_path_factory):
    with GatewayStack(
        redis_server, tmp_path_factory.mktemp("console"), db=12, asr_worker=True, config=KEEP_UPLOADS, env=KEYS
    ) as stack:
        yield stack


@pytest.fixture(scope="module")
def video(tmp_path_factory) -> Path:
    return speech_mp4(NEWS_SCRIPT, tmp_path_factory.mktemp("console-media"), "news")


@pytest.fixture(scope="module")
def browser():
    with headless_chromium() as browser:
        yield browser


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(30_000)
    yield context.new_page()
    context.close()


def log_in(page, stack, key: str = API_KEY) -> None:
    page.goto(stack.url + "/console/")
    page.get_by_label("API key").fill(key)
    page.get_by_role("button", name="Log in").click()


def screenshot(page, name: str) -> None:
    if os.environ.get("CONSOLE_SCREENSHOTS"):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def active_cue_texts(page, at_s: float) -> list[str]:
    """The texts of the captions track's active cues once the video is at ``at_s``."""
    page.wait_for_function(
        "() => { const v = document.getElementById('player');"
        " return v.readyState >= 1 && v.textTracks[0] && v.textTracks[0].cues && v.textTracks[0].cues.length > 0; }",
        timeout=WAIT_MS,
    )
    return page.evaluate(
        """async (at) => {
            const video = document.getElementById('player');
            const track = video.textTracks[0];
            track.mode = 'showing';
            await new Promise((done) => {
                video.addEventListener('seeked', done, {once: true});
                video.currentTime = at;
            });
            await new Promise((done) => setTimeout(done, 250));
            return [...track.activeCues].map((cue) => cue.text);
        }""",
        at_s,
    )


def wait_until_done(page) -> None:
    page.wait_for_selector("section.summary[data-done='true']", timeout=WAIT_MS)
    page.wait_for_load_state()


@in_browser
def test_a_job_from_upload_to_fixed_captions(page, stack, video):
    log_in(page, stack)
    assert page.get_by_role("heading", name="Jobs").is_visible()
    (cookie,) = page.context.cookies()
    assert (cookie["name"], cookie["httpOnly"], cookie["sameSite"]) == ("console_session", True, "Lax")
    assert API_KEY not in cookie["value"]

    page.get_by_role("link", name="New job").click()
    page.get_by_label("Parent (the video's id in the CMS)").fill("video-console")
    page.select_option("#provider", "whisper")
    screenshot(page, "new-job")
    page.set_input_files("#media", str(video))
    page.select_option("#provider", "whisper")
    page.check("input[name=output_types][value=srt]")
    page.get_by_role("button", name="Create the job").click()
    assert "Created job" in page.inner_text(".flashes")
    job_url = page.url

    page.goto(stack.url + "/console/")
    row = page.locator("tr[data-job-id]").first
    assert row.locator("td").nth(2).inner_text() == "whisper"
    page.wait_for_selector("tr[data-job-id][data-done='true'] [data-field=status]:text('done')", timeout=WAIT_MS)

    page.goto(job_url)
    wait_until_done(page)
    assert page.inner_text("section.summary [data-field=status]") == "done"
    cues = page.locator("li.cue")
    assert cues.count() >= 2
    second = cues.nth(1)
    start, end = float(second.get_attribute("data-start")), float(second.get_attribute("data-end"))
    second_text = second.locator("textarea").input_value()
    assert active_cue_texts(page, start - 0.05) != [second_text]
    assert active_cue_texts(page, (start + end) / 2) == [second_text]
    assert page.get_by_role("link", name="news.vtt").count() + page.locator(".downloads a").count() >= 2
    screenshot(page, "job")

    first_text = cues.nth(0).locator("textarea")
    first_text.fill("The city council approved a new budget.")
    page.get_by_role("button", name="Publish a new version").click()
    assert "Published the fixed captions" in page.inner_text(".flashes")
    assert page.url != job_url
    wait_until_done(page)
    assert page.locator("li.cue textarea").first.input_value() == "The city council approved a new budget."
    assert page.locator("dt:text('Fixes') + dd a").get_attribute("href").endswith(job_url.rsplit("/", 1)[-1])
    assert page.locator("#player").count() == 1  # the fix plays on the original video
    assert page.inner_text("section[aria-label=Quality]").count("violations") == 1

    page.goto(stack.url + "/console/")
    assert page.locator("tr[data-job-id]").count() == 2
    screenshot(page, "jobs")

    page.goto(stack.url + "/console/stats")
    assert "whisper" in page.inner_text("#by-provider")
    assert "upload" in page.inner_text("#by-provider")
    screenshot(page, "statistics")

    page.get_by_role("button", name="Log out").click()
    assert "/console/login" in page.url
    page.goto(stack.url + "/console/")
    assert "/console/login" in page.url


@in_browser
def test_a_wrong_key_is_refused(page, stack):
    log_in(page, stack, key="not-a-key-of-this-gateway")
    assert "/console/login" in page.url
    assert "not an API key" in page.inner_text("[role=alert]")
    page.goto(stack.url + "/console/stats")
    assert "/console/login" in page.url


@in_browser
def test_an_expired_session_is_refused(page, stack):
    serializer = stack.app.session_interface.get_signing_serializer(stack.app)
    old = {"key": digest(API_KEY), "since": time.time() - SESSION_MAX_AGE_S - 60, "csrf": "token"}
    page.context.add_cookies([{"name": "console_session", "value": serializer.dumps(old), "url": stack.url}])
    page.goto(stack.url + "/console/")
    assert "/console/login" in page.url
    assert page.request.get(stack.url + "/console/status?id=x").status == 401


def upload_job(stack, parent_id: str) -> str:
    created = stack.client().post(
        "/captions",
        data={"parent_id": parent_id, "provider": "upload"},
        files={"caption_file": ("a.srt", b"1\n00:00:01,000 --> 00:00:02,000\nGood evening.\n")},
    )
    assert created.status_code == 201, created.text
    return created.json()["id"]


@in_browser
def test_a_forged_form_post_is_refused(page, stack):
    log_in(page, stack)
    job_id = upload_job(stack, "forged")
    delete_url = f"{stack.url}/console/jobs/{job_id}/delete"
    assert page.request.post(delete_url, form={}).status == 400
    assert page.request.post(delete_url, form={"csrf_token": "forged"}).status == 400
    assert stack.client().get(f"/jobs/{job_id}").status_code == 200
    page.goto(f"{stack.url}/console/jobs/{job_id}")
    page.get_by_role("button", name="Retry as a new job").click()
    retried = page.url.rsplit("/", 1)[-1]
    assert retried != job_id and f"Retried as a new job {retried}" in page.inner_text(".flashes")
    assert stack.client().job(retried)["parent_id"] == "forged"
    page.goto(f"{stack.url}/console/jobs/{job_id}")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Delete").click()
    assert f"Deleted job {job_id}" in page.inner_text(".flashes")
    assert stack.client().get(f"/jobs/{job_id}").status_code == 404


@in_browser
def test_a_refused_action_shows_the_api_message(page, stack):
    """The console's forms go through the API's schemas and operations, refusals and all."""
    job_id = upload_job(stack, "refusals")
    assert stack.client().wait_job(job_id)["status"] == "done"
    log_in(page, stack)
    csrf = page.locator("input[name=csrf_token]").first.get_attribute("value")
    bad_parent = page.request.post(
        f"{stack.url}/console/new",
        multipart={"csrf_token": csrf, "parent_id": "a/b", "provider": "upload", "output_types": "vtt"},
    )
    assert bad_parent.ok and "refused: parent_id: must not contain &#39;/&#39;" in bad_parent.text()
    finished = page.request.post(f"{stack.url}/console/jobs/{job_id}/cancel", form={"csrf_token": csrf})
    assert f"refused: job {job_id} has already finished (done)" in finished.text()
    page.goto(f"{stack.url}/console/?status=lost")
    assert "status: Must be one of" in page.inner_text(".flashes")


@in_browser
def test_a_read_only_key_sees_only_its_jobs_and_cannot_act(page, stack):
    job_id = upload_job(stack, "admin-only")
    log_in(page, stack, key=VIEWER_KEY)
    assert page.get_by_role("heading", name="Jobs").is_visible()
    assert page.locator(f"tr[data-job-id='{job_id}']").count() == 0
    assert page.goto(f"{stack.url}/console/jobs/{job_id}").status == 404
    assert page.goto(f"{stack.url}/console/stats").ok
    assert page.get_by_role("link", name="New job").count() == 0
    csrf = page.locator("input[name=csrf_token]").first.get_attribute("value")
    refused = page.request.post(f"{stack.url}/console/jobs/{job_id}/cancel", form={"csrf_token": csrf})
    assert refused.status == 403
    assert "lacks the &#39;submit&#39; scope" in refused.text()


@in_browser
def test_each_violation_links_to_its_cue(page, stack):
    too_fast = b"1\n00:00:01,000 --> 00:00:01,400\nThis caption is far too long to be read in so short a time.\n"
    created = stack.client().post(
        "/captions",
        data={"parent_id": "violations", "provider": "upload"},
        files={"caption_file": ("fast.srt", too_fast)},
    )
    job_id = created.json()["id"]
    stack.client().wait_job(job_id)
    log_in(page, stack)
    page.goto(f"{stack.url}/console/jobs/{job_id}")
    row = page.locator("table.violations tr", has_text="over cps")
    row.get_by_role("link", name="1").click()
    assert page.url.endswith("#cue-0")
    assert "far too long" in page.locator("#cue-0 textarea").input_value()


WHISPER_SCHEMA = {
    "type": "object",
    "properties": {
        "vocabulary": {},
        "beam_size": {"type": "integer", "minimum": 1, "maximum": 10},
        "vad_filter": {"type": "boolean"},
        "model": {"type": "string"},
        "tags": {"type": "array", "items": {"type": "string"}},
        "speed": {"type": "string", "enum": ["fast", "slow"]},
    },
}


def test_the_params_form_follows_the_schema():
    fields = param_fields("whisper", WHISPER_SCHEMA)
    kinds = {f.name: f.kind for f in fields}
    assert kinds == {
        "vocabulary": "text",
        "beam_size": "integer",
        "vad_filter": "boolean",
        "model": "text",
        "tags": "list",
        "speed": "choice",
    }
    form = {
        "param:whisper:vocabulary": "Obama, Kyiv",
        "param:whisper:beam_size": "5",
        "param:whisper:vad_filter": "false",
        "param:whisper:model": "",
        "param:whisper:tags": "a, b,",
        "param:whisper:speed": "fast",
        "param:other:model": "not this provider's",
    }
    assert params_from_form(fields, form) == {
        "vocabulary": "Obama, Kyiv",
        "beam_size": 5,
        "vad_filter": False,
        "tags": ["a", "b"],
        "speed": "fast",
    }
    assert params_from_form(fields, {"param:whisper:beam_size": "five"}) == {"beam_size": "five"}  # the API refuses


def test_edited_cues_become_a_track():
    form = {
        "cue-0-start": "00:00:01.000",
        "cue-0-end": "00:00:02.500",
        "cue-0-text": "Good evening.\r\nHere is the news.",
        "cue-1-start": "00:00:03.000",
        "cue-1-end": "00:00:04.000",
        "cue-1-text": "  ",
    }
    captions = captions_from_form(form, 2, "en")
    assert [(c.start, c.end, c.lines) for c in captions.cues] == [(1000, 2500, ["Good evening.", "Here is the news."])]
    assert b"00:00:01.000 --> 00:00:02.500" in formats.write(captions, "vtt")
    with pytest.raises(CueEditError, match="cue 1: the end must come after the start"):
        captions_from_form({**form, "cue-0-end": "00:00:00.500"}, 2, "en")
    with pytest.raises(CueEditError, match="cue 1: times must look like"):
        captions_from_form({**form, "cue-0-start": "soon"}, 2, "en")
    with pytest.raises(CueEditError, match="nothing to publish"):
        captions_from_form({"cue-0-text": ""}, 1, "en")

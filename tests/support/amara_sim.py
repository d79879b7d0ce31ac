"""An HTTP simulator of the Amara API (amara.org/api), for the ``amara`` provider's tests.

It speaks the wire protocol of ../shared/PROVIDERS.md: paths under ``/api/`` with their trailing
slash (a path without one answers Django's HTML 404 page, as Amara does for a URL it does not
know; Django only redirects GETs when it has a route, and a redirect would hide the mistake),
``X-api-key`` auth (a wrong key is a 403 ``{"detail": ...}``), paginated list envelopes
``{"meta": {...}, "objects": [...]}``, DRF field errors ``{"field": ["..."]}``.

What it keeps: videos (one per media URL and team), their subtitle languages and the versions
of each language, parsed into the neutral caption model and rendered in any format asked. An
upload by ``subtitles_url`` is fetched over HTTP, as Amara does, and read as ``sub_format``
(DFXP when not given, so a WebVTT body sent without it is refused). A version uploaded without
an ``action`` (or with ``publish``/``complete``) completes the language; ``save-draft`` does not.

A reviewer works on a clock: ``review_after_s`` seconds after an editor link is issued for a
language, the reviewer saves a new version (the last one with :data:`REVIEW_MARK` added to its
first cue, or a fresh transcript when there was none) and completes the language.

Faults are scripted with :meth:`AmaraSimulator.add_fault` (a status, ``Retry-After``, an HTML
page, a slow answer, an empty caption file, for some requests), and every API request is logged
in ``requests``. With ``empty_while_incomplete`` set, a language that is not complete hands out
an empty caption file (HTTP 200) instead of its last published version. Work is cancelled on
Amara's side by :meth:`AmaraSimulator.delete_video` and :meth:`AmaraSimulator.delete_language`
(a team admin deletes the video, or withdraws the subtitle language): from then on every call
about it answers 404, as for an id Amara never had.
"""

from __future__ import annotations

import itertools
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import requests
from flask import Flask, Response, jsonify, request
from werkzeug.serving import make_server

import formats

#: What the simulated reviewer adds to the first cue, so tests tell reviewed text from the original.
REVIEW_MARK = " [reviewed]"

#: Captions to send for review in tests (German, with a non-ASCII character).
SOURCE_VTT = (
    b"WEBVTT\n\n00:00:01.000 --> 00:00:03.000\nDer Stadtrat tagte am Dienstag.\n\n"
    b"00:00:03.500 --> 00:00:05.000\nEr stimmte f\xc3\xbcr die Bibliothek.\n"
)

#: What the simulated captioners write when a language had no version to review.
HUMAN_TRANSCRIPT = "WEBVTT\n\n00:00:01.000 --> 00:00:04.000\nCaptioned by the Amara team.\n"

COMPLETING_ACTIONS = frozenset({"publish", "complete", "api-complete"})
ACTIONS = COMPLETING_ACTIONS | {"save-draft", "unpublish"}
RAW_TYPES = {
    "vtt": "text/vtt",
    "srt": "application/x-subrip",
    "dfxp": "application/ttml+xml",
    "sbv": "text/plain",
    "json": "application/json",
}

DJANGO_404 = b"<!DOCTYPE html><html><head><title>Not Found</title></head><body><h1>Not Found</h1></body></html>"
DJANGO_500 = (
    b"<!DOCTYPE html><html><head><title>Server Error (500)</title></head><body><h1>Server Error</h1></body></html>"
)


@dataclass
class Fault:
    """A scripted answer for the next ``times`` API requests that match ``method`` and ``path``.

    ``status`` 0 answers normally after ``delay_s`` (a slow answer); otherwise the status is
    answered with ``{"detail": ...}``, or Django's HTML page when ``html``. With ``empty`` a
    subtitles request of an existing language is answered with a caption file without cues
    (HTTP 200, whatever the language's state); ``status`` is then ignored. ``query`` limits the
    fault to requests whose query holds these parameters (``{"sub_format": "vtt"}``).
    """

    status: int = 500
    times: int = 1
    method: str | None = None
    path: str | None = None  # a substring of the request path
    retry_after: str | None = None
    html: bool = False
    delay_s: float = 0.0
    empty: bool = False
    query: dict[str, str] | None = None

    def matches(self, method: str, path: str, query: dict[str, str] | None = None) -> bool:
        return (
            self.times > 0
            and self.method in (None, method)
            and (self.path is None or self.path in path)
            and all((query or {}).get(name) == value for name, value in (self.query or {}).items())
        )


@dataclass
class Version:
    number: int
    captions: formats.Captions
    author: str
    published: bool


@dataclass
class Language:
    code: str
    subtitles_complete: bool = False
    versions: list[Version] = field(default_factory=list)
    review_due: float | None = None

    @property
    def published(self) -> bool:
        return any(v.published for v in self.versions)


@dataclass
class Video:
    id: str
    video_url: str
    title: str
    primary_audio_language_code: str | None
    team: str | None
    project: str | None
    languages: dict[str, Language] = field(default_factory=dict)


@dataclass
class LoggedRequest:
    method: str
    path: str
    query: dict[str, str]
    body: Any
    headers: dict[str, str]


class AmaraSimulator:
    """The simulator on a loopback port, in a thread; ``api_url`` is the adapter's ``base_url``."""

    def __init__(self, api_key: str = "amara-key", team: str = "newsroom", review_after_s: float = 1.0) -> None:
        self.api_key = api_key
        self.team = team
        self.review_after_s = self._default_review_after_s = review_after_s
        self.empty_while_incomplete = False
        self.videos: dict[str, Video] = {}
        self.files: dict[str, bytes] = {}
        self.faults: list[Fault] = []
        self.requests: list[LoggedRequest] = []
        self.lock = threading.RLock()
        self._ids = itertools.count(1)
        self.app = _create_app(self)
        self._server = make_server("127.0.0.1", 0, self.app, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self.api_url = f"{self.url}/api"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True, name="amara-sim")

    # -- life ------------------------------------------------------------------------------

    def start(self) -> AmaraSimulator:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def reset(self) -> None:
        with self.lock:
            self.videos.clear()
            self.faults.clear()
            self.requests.clear()
            self.review_after_s = self._default_review_after_s
            self.empty_while_incomplete = False

    # -- scripting -------------------------------------------------------------------------

    def add_fault(self, **fault: Any) -> Fault:
        """Answer matching requests with a :class:`Fault` (``status=429, retry_after="1"``...)."""
        scripted = Fault(**fault)
        with self.lock:
            self.faults.append(scripted)
        return scripted

    def host_file(self, name: str, data: bytes) -> str:
        """Serve ``data`` at a URL (a media host standing in for the web), for ``subtitles_url``."""
        self.files[name] = data
        return f"{self.url}/_files/{name}"

    def complete(self, video_id: str, language_code: str) -> None:
        """The reviewer finishes this language now."""
        with self.lock:
            self._review(self.videos[video_id], self.videos[video_id].languages[language_code])

    def delete_video(self, video_id: str) -> None:
        """A team admin deletes the video at Amara, its languages and versions with it."""
        with self.lock:
            del self.videos[video_id]

    def delete_language(self, video_id: str, language_code: str) -> None:
        """The subtitle language is withdrawn at Amara: deleted with all its versions."""
        with self.lock:
            del self.videos[video_id].languages[language_code]

    def calls(self, method: str, path_suffix: str = "") -> list[LoggedRequest]:
        """Logged API requests with ``method`` whose path ends with ``path_suffix``."""
        return [r for r in self.requests if r.method == method and r.path.endswith(path_suffix)]

    # -- the clock -------------------------------------------------------------------------

    def tick(self) -> None:
        """Let the reviewers finish what is due."""
        now = time.monotonic()
        with self.lock:
            for video in self.videos.values():
                for language in video.languages.values():
                    if language.review_due is not None and language.review_due <= now:
                        self._review(video, language)

    def _review(self, video: Video, language: Language) -> None:
        language.review_due = None
        if language.versions:
            last = language.versions[-1].captions
            cues = [formats.Cue(c.start, c.end, list(c.lines), c.speaker) for c in last.cues]
            if cues:
                cues[0].lines[-1] += REVIEW_MARK
            captions = formats.Captions(cues=cues, language=language.code)
        else:
            captions = formats.read(HUMAN_TRANSCRIPT.encode(), "vtt", language=language.code)
        language.versions.append(Version(len(language.versions) + 1, captions, "reviewer", published=True))
        language.subtitles_complete = True

    # -- ids -------------------------------------------------------------------------------

    def new_video_id(self) -> str:
        return f"AmSim{next(self._ids):07d}"


# -- the app ---------------------------------------------------------------------------------


def _create_app(sim: AmaraSimulator) -> Flask:
    app = Flask("amara-simulator")
    app.url_map.strict_slashes = False  # the gate below answers a missing slash, as Amara does

    @app.before_request
    def gate() -> Any:
        if not request.path.startswith("/api/"):
            return None
        sim.requests.append(
            LoggedRequest(
                request.method,
                request.path,
                dict(request.args),
                request.get_json(silent=True),
                dict(request.headers),
            )
        )
        if not request.path.endswith("/"):
            return Response(DJANGO_404, 404, content_type="text/html; charset=utf-8")
        fault = _take_fault(sim, request.method, request.path, dict(request.args))
        if fault is not None and fault.delay_s:
            time.sleep(fault.delay_s)
        if fault is not None and fault.empty:
            request.environ["amara.empty"] = True  # answered by get_subtitles
        elif fault is not None and fault.status:
            return _fault_answer(fault)
        if request.headers.get("X-api-key") != sim.api_key:
            return _detail("Incorrect authentication credentials.", 403)
        sim.tick()
        return None

    @app.get("/_files/<name>")
    def hosted_file(name: str) -> Any:
        if name not in sim.files:
            return Response(b"not found", 404)
        return Response(sim.files[name], 200, content_type="application/octet-stream")

    @app.get("/api/videos/")
    def list_videos() -> Any:
        with sim.lock:
            videos = [
                v
                for v in sim.videos.values()
                if request.args.get("video_url") in (None, v.video_url) and request.args.get("team") in (None, v.team)
            ]
            return jsonify(_page([_video_json(v) for v in videos]))

    @app.post("/api/videos/")
    def create_video() -> Any:
        body = _body()
        errors = _required(body, "video_url")
        team = body.get("team")
        if team is not None and team != sim.team:
            errors["team"] = [f"Invalid team: {team}"]
        if errors:
            return jsonify(errors), 400
        with sim.lock:
            if any(v.video_url == body["video_url"] and v.team == team for v in sim.videos.values()):
                return jsonify(video_url=["Video already added"]), 400
            video = Video(
                sim.new_video_id(),
                body["video_url"],
                body.get("title") or "",
                body.get("primary_audio_language_code"),
                team,
                body.get("project"),
            )
            sim.videos[video.id] = video
            return jsonify(_video_json(video)), 201

    @app.get("/api/videos/<video_id>/")
    def get_video(video_id: str) -> Any:
        with sim.lock:
            video = sim.videos.get(video_id)
            return _not_found() if video is None else jsonify(_video_json(video))

    @app.get("/api/videos/<video_id>/languages/")
    def list_languages(video_id: str) -> Any:
        with sim.lock:
            video = sim.videos.get(video_id)
            if video is None:
                return _not_found()
            return jsonify(_page([_language_json(video, lang) for lang in video.languages.values()]))

    @app.post("/api/videos/<video_id>/languages/")
    def create_language(video_id: str) -> Any:
        body = _body()
        with sim.lock:
            video = sim.videos.get(video_id)
            if video is None:
                return _not_found()
            errors = _required(body, "language_code")
            if errors:
                return jsonify(errors), 400
            if body["language_code"] in video.languages:
                return jsonify(language_code=["Language already created"]), 400
            language = Language(body["language_code"], bool(body.get("subtitles_complete", False)))
            video.languages[language.code] = language
            return jsonify(_language_json(video, language)), 201

    @app.get("/api/videos/<video_id>/languages/<code>/")
    def get_language(video_id: str, code: str) -> Any:
        with sim.lock:
            video, language = _find(sim, video_id, code)
            return _not_found() if language is None else jsonify(_language_json(video, language))

    @app.put("/api/videos/<video_id>/languages/<code>/")
    def update_language(video_id: str, code: str) -> Any:
        body = _body()
        with sim.lock:
            video, language = _find(sim, video_id, code)
            if language is None:
                return _not_found()
            if "subtitles_complete" in body:
                language.subtitles_complete = bool(body["subtitles_complete"])
            return jsonify(_language_json(video, language))

    @app.get("/api/videos/<video_id>/languages/<code>/subtitles/")
    def get_subtitles(video_id: str, code: str) -> Any:
        with sim.lock:
            video, language = _find(sim, video_id, code)
            if language is None:
                return _not_found()
            empty = request.environ.get("amara.empty") or (
                sim.empty_while_incomplete and not language.subtitles_complete
            )
            if empty:  # the file of work in progress: no cues (a bare "WEBVTT" header, an empty SRT)
                version: Version | None = _empty_version(language)
            else:
                version = _pick_version(language, request.args.get("version_number") or request.args.get("version"))
            if version is None:
                return _not_found()
            raw = request.args.get("format")
            if raw and raw != "json":
                if raw not in RAW_TYPES:
                    return _not_found()
                return Response(formats.write(version.captions, raw), 200, content_type=RAW_TYPES[raw])
            sub_format = request.args.get("sub_format", "json")
            if sub_format not in RAW_TYPES:
                return jsonify(sub_format=[f"Unknown format: {sub_format}"]), 400
            return jsonify(_subtitles_json(video, language, version, sub_format))

    @app.post("/api/videos/<video_id>/languages/<code>/subtitles/")
    def add_subtitles(video_id: str, code: str) -> Any:
        body = _body()
        action = body.get("action")
        if action is not None and action not in ACTIONS:
            return jsonify(action=[f"Invalid action: {action}"]), 400
        sub_format = body.get("sub_format") or "dfxp"  # Amara's default
        if sub_format not in formats.INPUT_TYPES:
            return jsonify(sub_format=[f"Unknown format: {sub_format}"]), 400
        data, problem = _upload_data(body)
        if problem:
            return jsonify(problem), 400
        try:
            captions = formats.read(data, sub_format, language=code)
        except formats.CaptionFormatError as exc:
            return jsonify(subtitles=[f"Invalid subtitle data: {exc}"]), 400
        with sim.lock:
            video = sim.videos.get(video_id)
            if video is None:
                return _not_found()
            language = video.languages.setdefault(code, Language(code))
            completes = action is None or action in COMPLETING_ACTIONS
            version = Version(len(language.versions) + 1, captions, "api", published=completes)
            language.versions.append(version)
            if completes:
                language.subtitles_complete = True
            return jsonify(_subtitles_json(video, language, version, sub_format)), 201

    @app.post("/api/editor-login/")
    def editor_login() -> Any:
        body = _body()
        errors = _required(body, "video_id", "user", "language_code")
        if errors:
            return jsonify(errors), 400
        with sim.lock:
            video, language = _find(sim, body["video_id"], body["language_code"])
            if video is None:
                return jsonify(video_id=["Unknown video"]), 400
            if language is None:
                language = video.languages.setdefault(body["language_code"], Language(body["language_code"]))
            language.review_due = time.monotonic() + sim.review_after_s
            token = f"tok{next(sim._ids)}"
            url = f"{sim.url}/en/subtitles/editor/{video.id}/{language.code}/?login={body['user']}&token={token}"
            return jsonify(url=url)

    return app


# -- helpers of the app ------------------------------------------------------------------------


def _take_fault(sim: AmaraSimulator, method: str, path: str, query: dict[str, str]) -> Fault | None:
    with sim.lock:
        for fault in sim.faults:
            if fault.matches(method, path, query):
                fault.times -= 1
                return fault
    return None


def _fault_answer(fault: Fault) -> Response:
    if fault.html:
        response = Response(DJANGO_500 if fault.status >= 500 else DJANGO_404, fault.status)
        response.content_type = "text/html; charset=utf-8"
    else:
        words = "Request was throttled." if fault.status == 429 else "A server error occurred."
        response = _detail(words, fault.status)
    if fault.retry_after is not None:
        response.headers["Retry-After"] = fault.retry_after
    return response


def _detail(words: str, status: int) -> Response:
    response = jsonify(detail=words)
    response.status_code = status
    return response


def _not_found() -> Response:
    return _detail("Not found.", 404)


def _body() -> dict[str, Any]:
    data = request.get_json(silent=True)
    return data if isinstance(data, dict) else dict(request.form)


def _required(body: dict[str, Any], *names: str) -> dict[str, list[str]]:
    return {name: ["This field is required."] for name in names if not body.get(name)}


def _find(sim: AmaraSimulator, video_id: str, code: str) -> tuple[Video | None, Language | None]:
    video = sim.videos.get(video_id)
    return video, (video.languages.get(code) if video else None)


def _pick_version(language: Language, wanted: str | None) -> Version | None:
    """A version by number, the last of all (``last``), or by default the last published one."""
    if wanted == "last":
        return language.versions[-1] if language.versions else None
    if wanted:
        return next((v for v in language.versions if str(v.number) == wanted), None)
    return next((v for v in reversed(language.versions) if v.published), None)


def _upload_data(body: dict[str, Any]) -> tuple[bytes, dict[str, list[str]] | None]:
    """The uploaded captions: the ``subtitles`` text, or the file at ``subtitles_url``, fetched."""
    if body.get("subtitles"):
        return str(body["subtitles"]).encode("utf-8"), None
    url = body.get("subtitles_url")
    if not url:
        return b"", {"subtitles": ["This field is required."]}
    try:
        fetched = requests.get(url, timeout=10)
    except requests.RequestException as exc:
        return b"", {"subtitles_url": [f"Could not fetch the subtitles: {type(exc).__name__}"]}
    if fetched.status_code != 200:
        return b"", {"subtitles_url": [f"Could not fetch the subtitles (HTTP {fetched.status_code})"]}
    return fetched.content, None


def _subtitles_text(captions: formats.Captions, sub_format: str) -> Any:
    if sub_format == "json":  # Amara's own: a list of subtitle objects
        return [
            {"start": c.start, "end": c.end, "text": c.text, "position": i + 1} for i, c in enumerate(captions.cues)
        ]
    return formats.write(captions, sub_format).decode("utf-8")


def _page(objects: list[dict[str, Any]]) -> dict[str, Any]:
    limit = int(request.args.get("limit") or 20)
    offset = int(request.args.get("offset") or 0)
    meta = {"previous": None, "next": None, "offset": offset, "limit": limit, "total_count": len(objects)}
    return {"meta": meta, "objects": objects[offset : offset + limit]}


def _api(path: str) -> str:
    return f"{request.host_url.rstrip('/')}/api{path}"


def _video_json(video: Video) -> dict[str, Any]:
    return {
        "id": video.id,
        "video_url": video.video_url,
        "all_urls": [video.video_url],
        "title": video.title,
        "primary_audio_language_code": video.primary_audio_language_code,
        "team": video.team,
        "project": video.project,
        "languages": [
            {
                "code": lang.code,
                "name": lang.code,
                "published": lang.published,
                "dir": "ltr",
                "subtitles_uri": _api(f"/videos/{video.id}/languages/{lang.code}/subtitles/"),
                "resource_uri": _api(f"/videos/{video.id}/languages/{lang.code}/"),
            }
            for lang in video.languages.values()
        ],
        "resource_uri": _api(f"/videos/{video.id}/"),
    }


def _language_json(video: Video, language: Language) -> dict[str, Any]:
    return {
        "language_code": language.code,
        "name": language.code,
        "is_primary_audio_language": language.code == video.primary_audio_language_code,
        "is_rtl": False,
        "published": language.published,
        "subtitles_complete": language.subtitles_complete,
        "num_versions": len(language.versions),
        "versions": [
            {"author": v.author, "version_no": v.number, "published": v.published} for v in reversed(language.versions)
        ],
        "subtitles_uri": _api(f"/videos/{video.id}/languages/{language.code}/subtitles/"),
        "resource_uri": _api(f"/videos/{video.id}/languages/{language.code}/"),
    }


def _empty_version(language: Language) -> Version:
    """A version without a single cue (numbered as the language's last version, or 0)."""
    last = language.versions[-1] if language.versions else None
    return Version(last.number if last else 0, formats.Captions(cues=[], language=language.code), "", False)


def _subtitles_json(video: Video, language: Language, version: Version, sub_format: str) -> dict[str, Any]:
    return {
        "version_number": version.number,
        "version_no": version.number,
        "sub_format": sub_format,
        "subtitles": _subtitles_text(version.captions, sub_format),
        "author": version.author,
        "language": {"code": language.code, "name": language.code, "dir": "ltr"},
        "title": video.title,
        "description": "",
        "metadata": {},
        "video_title": video.title,
        "video_description": "",
        "video": video.id,
        "resource_uri": _api(f"/videos/{video.id}/languages/{language.code}/subtitles/"),
    }


__all__: list[str] = ["HUMAN_TRANSCRIPT", "REVIEW_MARK", "SOURCE_VTT", "AmaraSimulator", "Fault"]

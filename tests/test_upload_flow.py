"""The upload provider through the whole gateway: a caption file in, every format out."""

from __future__ import annotations

import base64

import formats

SRT = (
    "\ufeff1\r\n00:00:01,000 --> 00:00:03,000\r\nFirst <line> & more\r\n\r\n"
    "2\r\n00:00:04.500 --> 00:00:06,000\r\nSecond line\r\n"
).encode()


def test_json_upload_renders_every_output(api):
    payload = {
        "parent_id": "p-upload",
        "provider": "upload",
        "output_types": ["vtt", "srt", "txt", "json", "dfxp", "scc"],
        "caption_file": {"name": "archive.srt", "file": base64.b64encode(SRT).decode()},
    }
    created = api.post("/captions", json=payload)
    assert created.status_code == 201, created.text
    assert created.json()["media_url"] is None
    done = api.wait_job(created.json()["id"])
    assert done["status"] == "done", done
    assert done["quality"]["cues"] == 2
    vtt = api.get(f"/jobs/{done['id']}/download/vtt").content
    assert formats.validate_webvtt(vtt) == []
    assert b"First &lt;line&gt; &amp; more" in vtt
    parsed = formats.read(api.get(f"/jobs/{done['id']}/download/dfxp").content, "dfxp")
    assert [c.start for c in parsed.cues] == [1000, 4500]
    assert api.get(f"/jobs/{done['id']}/download/scc").text.startswith("Scenarist_SCC V1.0")
    transcript = api.get(f"/jobs/{done['id']}/transcript/srt").text
    assert "First <line> & more" in transcript and "Second line" in transcript


def test_multipart_upload(api):
    created = api.post(
        "/captions",
        data={"parent_id": "p-upload-2", "provider": "upload", "output_types": "vtt,txt"},
        files={"caption_file": ("talk.vtt", b"WEBVTT\n\n00:01.000 --> 00:02.000\nHello there\n")},
    )
    assert created.status_code == 201, created.text
    done = api.wait_job(created.json()["id"])
    assert done["status"] == "done"
    assert [o["type"] for o in done["outputs"]] == ["vtt", "txt"]
    assert api.get(f"/jobs/{done['id']}/download/txt").text.strip() == "Hello there"
    issues = done["provider_info"]["input_issues"]  # 00:01.000 is fine; nothing to report
    assert issues == {"count": 0, "first": []}


def test_a_webvtt_upload_that_needed_repair_says_what_was_wrong(api):
    sloppy = b"WEBVTT\n\n00:00:01,000 --> 00:00:02,000\nTom & Jerry\n"
    done = uploaded(api, "p-upload-3", "sloppy.vtt", sloppy, "vtt")
    issues = done["provider_info"]["input_issues"]
    assert issues["count"] >= 2 and any(i.startswith("line 3:") for i in issues["first"])
    assert formats.validate_webvtt(api.get(f"/jobs/{done['id']}/download/vtt").content) == []


def test_a_broadcast_scc_file_is_republished_as_webvtt(api):
    """SCC is an upload format: a broadcast archive's file becomes every other output."""
    captions = formats.Captions(cues=[formats.Cue(1000, 3000, ["GOOD EVENING."]), formats.Cue(4000, 6000, ["NEWS"])])
    done = uploaded(api, "p-upload-scc", "archive.scc", formats.write(captions, "scc"), "vtt,txt")
    cues = formats.read(api.get(f"/jobs/{done['id']}/download/vtt").content, "vtt").cues
    assert [cue.text for cue in cues] == ["GOOD EVENING.", "NEWS"]
    assert all(abs(cue.start - expected) <= 67 for cue, expected in zip(cues, (1000, 4000), strict=True))


def uploaded(api, parent_id: str, name: str, data: bytes, output_types: str) -> dict:
    """The finished job of a caption file sent as a multipart part to the upload provider."""
    created = api.post(
        "/captions",
        data={"parent_id": parent_id, "provider": "upload", "output_types": output_types},
        files={"caption_file": (name, data)},
    )
    assert created.status_code == 201, created.text
    done = api.wait_job(created.json()["id"])
    assert done["status"] == "done", done
    return done

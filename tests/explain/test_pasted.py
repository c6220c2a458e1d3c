"""Text as it arrives in a ticket: CI prefixes, quotes, colours, web-page characters, console wraps, wrapped prose.

Each test builds the pasted form from a body the recognisers know and asserts the answer (mode and names) is the
one the clean body gets; near misses check that what is taken off is only what pasting added.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable

import pytest

from acrdoctor.explain import explain, explain_ticket
from acrdoctor.explain.paragraphs import PARAGRAPH_LINES, paragraph_joined
from acrdoctor.explain.paste_forms import FORMS, composite, per_line
from acrdoctor.explain.reading import logical_lines, string_chunks

from . import bodies as b

BODIES = {
    "delete-permission": b.UNAUTHORIZED_PURGE,
    "locked-artifacts": b.DISALLOWED_CLI,
    "network-access-denied": b.DENIED_DOCKER,
    "manifest-not-found": b.MANIFEST_UNKNOWN_JSON,
    "throttling": b.THROTTLED_SDK,
    "empty-repository": b.NAME_UNKNOWN_CLI,
}


PASTED: dict[str, Callable[[str], str]] = {
    **{k: FORMS[k] for k in ("github-actions-timestamps", "reply-quoted", "buildkit-step", "colour",
                             "non-breaking-spaces", "html-entities", "console-80", "console-120")},
    "azure-pipelines-error": per_line(lambda s: "2024-05-01T10:00:00.1234567Z ##[error]" + s),
    "nested-quote": per_line(lambda s: "> > " + s),
    "bold-colour": per_line(lambda s: "\x1b[1;31m" + s + "\x1b[0m"),
    "curly-quotes": lambda s: s.replace('"', "\u201c").replace("'", "\u2019"),
    "zero-width": lambda s: s.replace(":", ":\u200b"),
    "all-at-once": composite,
}


def summary(text: str) -> list[tuple[str, str | None, str | None]]:
    return [(m.failure_mode, m.extracted.registry, m.extracted.repository) for m in explain(text).matches]


@pytest.mark.parametrize("how", sorted(PASTED))
@pytest.mark.parametrize("mode", sorted(BODIES))
def test_a_body_pasted_any_way_gets_the_answer_the_clean_body_gets(mode: str, how: str) -> None:
    clean = summary(BODIES[mode])
    assert clean and clean[0][0] == mode
    assert summary(PASTED[how](BODIES[mode])) == clean


@pytest.mark.parametrize("line, expected", [
    ("2024-05-01T10:00:00.1234567Z ##[error]denied: x", "denied: x"),
    ("> > unauthorized: y", "unauthorized: y"),
    ("#7 0.512 ERROR: failed to solve", "ERROR: failed to solve"),
    ("\x1b[31mError\x1b[0m: \u201cquoted\u201d\u00a0here", 'Error: "quoted" here'),
    ("&quot;code&quot;:&quot;DENIED&quot; &amp;&amp; &#39;x&#39;", "\"code\":\"DENIED\" && 'x'"),
])
def test_what_pasting_adds_is_taken_off(line: str, expected: str) -> None:
    assert list(logical_lines(string_chunks(line))) == [expected]


@pytest.mark.parametrize("line", [
    "2026/11/30 10:00:00 Step 3/14 : COPY . /src",  # a log's own date stays: it is the program's line
    "2024-05-01 10:00:00 starting cleanup",
    "#12 [build 4/9] RUN pip install",  # BuildKit's step header has no time
    "a && b; echo &lt=3",  # a shell's && and an entity without its ; stay
    "x => y > z",
    "tag: v1.2 -> v1.3",
])
def test_what_a_program_printed_stays(line: str) -> None:
    assert list(logical_lines(string_chunks(line))) == [line]


def test_a_line_as_wide_as_a_console_is_joined_only_with_its_rest() -> None:
    eighty = "2026/11/30 00:00:02 Successfully tagged contosoreg.azurecr.io/legacy/mailhog:853"
    assert len(eighty) == 80
    # The next line of the same log, an indented line, a level word: not the rest of it.
    for nxt in ("2026/11/30 00:00:03 Successfully tagged x", "   indented", "ERROR: boom", "", "[2/5] RUN x"):
        first, *rest = logical_lines(string_chunks(f"{eighty}\n{nxt}"))
        assert first == eighty and len(rest) == 1
    # A line that is not 80, 100, 120, 132, 160 or 200 wide is never joined.
    assert list(logical_lines(string_chunks("x" * 79 + "\nyz"))) == ["x" * 79, "yz"]
    # The rest of a word: glued; the rest after a space kept at its start: glued with it.
    assert list(logical_lines(string_chunks("a" * 77 + "UNK\nNOWN rest"))) == ["a" * 77 + "UNKNOWN rest"]
    assert list(logical_lines(string_chunks("a" * 80 + "\n Access denied"))) == ["a" * 80 + " Access denied"]
    # No space at either end, and a sentence's end or a capitalised word between: two lines, not a wrap.
    assert list(logical_lines(string_chunks("a" * 80 + "\nAccess denied"))) == ["a" * 80, "Access denied"]
    assert list(logical_lines(string_chunks("a" * 79 + ".\nThen more"))) == ["a" * 79 + ".", "Then more"]
    # A host name broken at a dot is one name again.
    host = "pulling " + "x" * 60 + " contosoreg."
    assert len(host) == 80
    assert list(logical_lines(string_chunks(f"{host}\nazurecr.io/app"))) == [f"{host}azurecr.io/app"]
    # A wide line ending in a space was broken between words: a level word or a bracket goes on with it.
    rpc = "Failed to pull image \"contosoreg.azurecr.io/app:v2\": " + "x" * 22 + " rpc "
    assert len(rpc) == 80
    assert list(logical_lines(string_chunks(rpc + "\nerror: code = Unknown"))) == [rpc + "error: code = Unknown"]
    assert len(list(logical_lines(string_chunks(rpc + "\n2026-12-03 10:00:00 next")))) == 2


TICKET = ("Since Monday our nightly cleanup job in Azure DevOps fails. It runs acr purge against contosoreg with a "
          "service principal that has AcrDelete on the registry, and the purge log says the operation is disallowed "
          "on this registry, repository or image for the release tags. Nobody changed anything on our side and we "
          "would like to know how to get the cleanup running again.")


def test_a_ticket_wrapped_by_hand_reads_as_it_does_unwrapped() -> None:
    flat = explain_ticket(TICKET).most_likely
    assert flat is not None and flat.failure_mode == "locked-artifacts"
    for width in (60, 72, 79):
        wrapped = explain_ticket(textwrap.fill(TICKET, width)).most_likely
        assert wrapped is not None and wrapped.failure_mode == flat.failure_mode


def test_only_written_paragraphs_are_joined() -> None:
    text = "\n".join([
        "We moved our registry to the new permissions mode last week and since then",
        "the purge job answers 401 unauthorized for every repository it touches.",
        "unauthorized: authentication required",  # printed: not the rest of the sentence
        "npm WARN deprecated inflight@1.0.6: this module is not supported",
        "Steps I tried:",
        "re-ran the job with a new secret and it still fails the same way on every repository",
    ])
    assert list(paragraph_joined(text.split("\n"))) == [
        "We moved our registry to the new permissions mode last week and since then the purge job answers 401 "
        "unauthorized for every repository it touches.",
        "unauthorized: authentication required",
        "npm WARN deprecated inflight@1.0.6: this module is not supported",
        "Steps I tried:",
        "re-ran the job with a new secret and it still fails the same way on every repository",
    ]


def test_a_short_sentence_before_a_longer_one_is_not_a_wrap() -> None:
    lines = ["This is a short sentence about the registry here.",
             "And this next one is a much longer sentence that starts a thought of its own entirely anew."]
    assert list(paragraph_joined(lines)) == lines


def test_paragraphs_are_read_only_near_the_start() -> None:
    para = ["We purged three hundred images from the registry last night and the",
            "portal still shows the same storage used as before the purge ran."]
    late = ["filler"] * PARAGRAPH_LINES + para
    assert list(paragraph_joined(para)) == [" ".join(para)]
    assert list(paragraph_joined(late))[-2:] == para


def test_plain_explain_does_not_join_a_logs_lines_as_paragraphs() -> None:
    log = "npm WARN deprecated inflight@1.0.6: this module is not supported\ntests/test_app.py::test_case PASSED"
    assert explain(log).lines == 2
    assert explain_ticket(log).lines == 2  # the second is not a sentence's rest either (it starts a path)

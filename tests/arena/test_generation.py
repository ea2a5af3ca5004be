"""Contestants answering for real: llama-cpp-python servers and in-process models, and small HTTP servers
started here for what real servers do rarely (a stream that breaks mid-answer, a 503, an API key, a judge)."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from shortlist import arena as ar
from shortlist.arena.clients import client_for, run_answer
from shortlist.arena.clients.local import release_models
from shortlist.arena.judge import combine, parse_verdict


def test_stream_breaking_mid_answer_leaves_the_battle_unfinished(store, scripted_server) -> None:
    with scripted_server() as (url, script):
        ar.create_arena(store, "f")
        ar.add_contestant(store, "f", f"openai:good@{url}")
        ar.add_contestant(store, "f", f"openai:broken@{url}")
        script.modes["broken"] = "break"
        b = ar.start_battle(store, "f", "Tell me something.", rng=1)
        events = list(ar.stream_pair(store, b.id))
        kinds = {(e.kind, e.side) for e in events}
        assert ("start", "a") in kinds and ("start", "b") in kinds  # both began streaming
        errors = [e for e in events if e.kind == "error"]
        assert len(errors) == 1 and "ended before the answer did" in errors[0].text
        assert events[-1].kind == "end" and events[-1].unfinished and not events[-1].votable
        view = ar.get_battle(store, b.id)
        assert view.unfinished and not view.votable
        broken_side = errors[0].side
        assert getattr(view.turns[0], broken_side).status == "failed"
        assert "ended before" in getattr(view.turns[0], broken_side).error  # the partial text is kept, for diagnosis
        # the server recovers: regenerate replaces both answers and the battle becomes votable again
        script.modes["broken"] = "ok"
        again = ar.regenerate(store, b.id)
        assert again.needs_generation and not again.unfinished
        assert [e.kind for e in ar.stream_pair(store, b.id)].count("done") == 2
        ack = ar.record_vote(store, b.id, None, "a")
        assert ack.counted and {ack.model_a, ack.model_b} == {"good", "broken"}
        assert ar.leaderboard(store, "f", resamples=0).votes == 1


def test_stream_advanced_from_other_threads_and_closed_early(store, scripted_server) -> None:
    """A web server may advance the stream from a different worker thread at each step, and stop reading
    once the voter has voted: both generations stop, the text so far is kept as `stopped` answers."""
    from concurrent.futures import ThreadPoolExecutor

    with scripted_server() as (url, script):
        ar.create_arena(store, "s")
        for name in ("one", "two"):
            ar.add_contestant(store, "s", f"openai:{name}@{url}")
            script.modes[name] = "slow"
        b = ar.start_battle(store, "s", "Count slowly.", rng=3)
        stream = ar.stream_pair(store, b.id)
        started: set[str] = set()
        with ThreadPoolExecutor(max_workers=4) as pool:
            while len(started) < 2:
                event = pool.submit(next, stream).result(timeout=30)
                if event.kind == "start":
                    started.add(event.side)
            assert event.votable
            ack = ar.record_vote(store, b.id, None, "tie")  # voted while both still stream
            pool.submit(stream.close).result(timeout=30)
        view = ar.get_battle(store, b.id)
        assert {view.turns[0].a.status, view.turns[0].b.status} == {"stopped"}
        assert view.turns[0].a.text.startswith("w0") and view.turns[0].a.finish_reason == "stopped"
        assert ack.counted and view.status == "voted" and view.revealed is not None


def test_generate_retries_before_the_first_token_resumes_and_keeps_keys_out(store, monkeypatch,
                                                                          scripted_server) -> None:
    with scripted_server() as (url, script):
        ar.create_arena(store, "g")
        ar.add_contestant(store, "g", f"openai:flaky@{url}")
        ar.add_contestant(store, "g", f"openai:keyed@{url}", api_key_env="ARENA_TEST_KEY")
        ar.add_contestant(store, "g", f"openai:breaks@{url}")
        script.modes.update(flaky="flaky503", keyed="needs-key", breaks="break")
        prompts = Path(store.path).parent / "p.jsonl"
        prompts.write_text("".join(json.dumps({"prompt": f"q{i}"}) + "\n" for i in range(4)))
        ar.add_prompts(store, "g", prompts)
        seen: list[tuple[int, int]] = []
        monkeypatch.delenv("ARENA_TEST_KEY", raising=False)
        first = ar.generate(store, "g", progress=lambda d, t, n: seen.append((d, t)))
        by = {c.contestant: c for c in first.contestants}
        assert by["flaky"].generated == 4 and by["flaky"].failed == 0  # the 503 was retried invisibly
        assert by["keyed"].failed == 4 and any("ARENA_TEST_KEY" in e for e in first.errors)
        assert by["breaks"].failed == 4 and seen[-1] == (12, 12)
        monkeypatch.setenv("ARENA_TEST_KEY", "s3cret")
        script.modes["breaks"] = "ok"
        second = ar.generate(store, "g")
        assert (second.planned, second.generated, second.already_done) == (8, 8, 4)  # only what was missing
        assert ar.generate(store, "g").planned == 0
        assert "Bearer s3cret" in script.auth
        dump = "\n".join(store.conn.iterdump())
        assert "s3cret" not in dump  # the key itself is never stored
        row = store.conn.execute("SELECT * FROM arena_answers WHERE status = 'ok' LIMIT 1").fetchone()
        assert row["completion_tokens"] and row["prompt_tokens"] == 7 and row["finish_reason"] == "stop"
        assert row["ttft_s"] is not None and json.loads(row["messages_json"])[-1]["role"] == "user"


def test_judge_votes_in_both_orders_and_agreement(store, fill, scripted_server) -> None:
    names = fill(store, "j", contestants=3, prompts=6)
    rng = random.Random(2)
    for _ in range(30):  # humans prefer the longer answer (m2 > m1 > m0), like the judge below
        b = ar.next_battle(store, "j", rng=rng)
        v = ar.get_battle(store, b.id)
        ar.record_vote(store, b.id, None, "a" if len(v.turns[0].a.text) > len(v.turns[0].b.text) else "b")
    with scripted_server() as (url, script):
        script.modes.update(fair="judge", biased="biased")
        report = ar.judge_battles(store, "j", f"openai:fair@{url}", name="fair")
        assert report.failed == 0 and report.consistency == 1.0
        unseen = 3 * 6 - store.conn.execute("SELECT COUNT(DISTINCT prompt_id || '-' || MIN(contestant_a, contestant_b)"
                                            " || '-' || MAX(contestant_a, contestant_b)) FROM arena_battles "
                                            "WHERE strategy != 'judge'").fetchone()[0]
        assert report.battles == 30 + unseen  # the voted battles, and a judge battle per unseen pair and prompt
        assert report.agreement is not None and report.agreement.rate == 1.0 and report.agreement.battles == 30
        again = ar.judge_battles(store, "j", f"openai:fair@{url}", name="fair")
        assert again.battles == 0 and again.already_judged == 30 + unseen
        biased = ar.judge_battles(store, "j", f"openai:biased@{url}", name="biased", create_battles=False)
        assert biased.consistency == 0.0 and biased.votes == {"tie": 30 + unseen}  # position bias -> ties
    both = ar.compare_judge(store, "j", judge="fair", resamples=100)
    assert [r.model for r in both.judge.rows] == [r.model for r in both.human.rows] == ["m2", "m1", "m0"]
    assert both.agreement is not None and both.agreement.rate == 1.0
    assert ar.leaderboard(store, "j", judge=True, resamples=0).votes == 2 * (30 + unseen)
    assert set(names) == {r.model for r in both.judge.rows}
    assert parse_verdict("x [[A]] then [[both bad]]") == "both_bad" and parse_verdict("none") is None
    assert combine("a", "a") == "a" and combine("a", "b") == "tie"


@pytest.mark.slow
def test_end_to_end_with_real_servers_and_a_local_model(store, smollm2_gguf: Path, server, tmp_path: Path) -> None:
    """Two contestants served by llama-cpp-python's OpenAI-compatible server on loopback and one GGUF run in
    process; a 20-prompt set; pre-generated answers; votes through the library; a board with intervals;
    a live battle streamed, continued and voted; export and re-import give identical ratings."""
    prompts = tmp_path / "prompts.jsonl"
    prompts.write_text("".join(json.dumps({"prompt": f"Give one short fact about the number {i}.",
                                           "tags": ["even" if i % 2 == 0 else "odd"]}) + "\n" for i in range(20)))
    with server(smollm2_gguf) as url_a, server(smollm2_gguf) as url_b:
        ar.create_arena(store, "e2e")
        ar.add_contestant(store, "e2e", f"openai:smol@{url_a}", name="server-greedy", concurrency=2,
                          sampling=ar.Sampling(temperature=0.0, max_tokens=8))
        ar.add_contestant(store, "e2e", f"openai:smol@{url_b}", name="server-hot", concurrency=2,
                          sampling=ar.Sampling(temperature=1.0, max_tokens=8, seed=7))
        ar.add_contestant(store, "e2e", str(smollm2_gguf), name="local",
                          sampling=ar.Sampling(temperature=0.7, max_tokens=8, seed=1,
                                               system_prompt="Answer in one sentence."))
        assert ar.add_prompts(store, "e2e", prompts).added == 20
        report = ar.generate(store, "e2e")
        assert (report.planned, report.generated, report.failed) == (60, 60, 0), report.errors
        for c in report.contestants:
            assert c.mean_ttft_s is not None and c.mean_tokens_per_s and c.mean_tokens_per_s > 0
        answer = store.conn.execute("SELECT * FROM arena_answers WHERE status = 'ok' AND completion_tokens > 1 "
                                    "ORDER BY id LIMIT 1").fetchone()
        assert answer["finish_reason"] in ("stop", "length") and answer["text"]
        assert ar.generate(store, "e2e").planned == 0  # resumable: nothing left to do

        rng = random.Random(0)
        for _ in range(45):
            b = ar.next_battle(store, "e2e", rng=rng, strategy="adaptive")
            assert b.votable and all(t.a.status == "ok" for t in b.turns)
            ar.record_vote(store, b.id, None, rng.choice(["a", "b", "tie", "a"]), idempotency_key=f"e2e-{b.id}")

        live = ar.start_battle(store, "e2e", "Name a colour.", rng=rng, pair=("server-greedy", "local"))
        assert live.needs_generation and not live.votable
        kinds = [(e.kind, e.side) for e in ar.stream_pair(store, live.id)]
        assert ("start", "a") in kinds and ("start", "b") in kinds and kinds[-1] == ("end", None)
        assert ar.get_battle(store, live.id).votable
        cont = ar.continue_battle(store, live.id, "And another one?")
        assert cont.needs_generation and len(cont.turns) == 2
        list(ar.stream_pair(store, live.id))
        done = ar.get_battle(store, live.id)
        assert done.turns[1].a.status == "ok" and done.turns[1].b.status == "ok" and done.votable
        ack = ar.record_vote(store, live.id, None, "b")
        assert {ack.model_a, ack.model_b} == {"server-greedy", "local"}
        assert ar.get_battle(store, live.id).revealed is not None

    board = ar.leaderboard(store, "e2e", resamples=300)
    assert board.votes == 46 and len(board.rows) == 3
    assert all(r.ci_low <= r.rating <= r.ci_high and r.provisional for r in board.rows)
    assert sorted(board.tags) == ["even", "odd"]
    out = tmp_path / "votes.csv"
    assert ar.export_votes(store, "e2e", out).rows == 46
    ar.create_arena(store, "e2e-copy")
    ar.import_votes(store, "e2e-copy", out)
    copy = ar.leaderboard(store, "e2e-copy", resamples=300)
    assert [(r.model, r.rating, r.ci_low, r.ci_high) for r in copy.rows] == \
        [(r.model, r.rating, r.ci_low, r.ci_high) for r in board.rows]
    battles = tmp_path / "battles.jsonl"
    assert ar.export_battles(store, "e2e", battles).rows == 46
    release_models()  # free the in-process model now, not at interpreter exit


@pytest.mark.slow
def test_hf_contestant_streams_with_the_chat_template(smollm2_folder: Path) -> None:
    client = client_for(f"hf:{smollm2_folder}")
    chunks: list[str] = []
    ans = run_answer(client, [{"role": "user", "content": "Say hello."}],
                     ar.Sampling(temperature=0.0, max_tokens=8), on_text=chunks.append)
    assert ans.status == "ok", ans.error
    assert ans.text and "".join(chunks) == ans.text
    assert ans.completion_tokens and 1 <= ans.completion_tokens <= 8 and ans.prompt_tokens and ans.prompt_tokens > 5
    assert ans.finish_reason in ("stop", "length") and ans.ttft_s is not None
    release_models()

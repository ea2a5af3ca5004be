"""Arenas, contestants, prompts, voters and battles through the public API, on a real SQLite file."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from shortlist import arena as ar
from shortlist.arena.errors import BattleClosed, CapReached, NothingToVote, UnknownVoter
from shortlist.arena.identity import IdentityGuard, contestant_words
from shortlist.arena.prompts import read_prompt_file
from shortlist.errors import BadInput, NotFound


def test_create_list_get_and_contestants(store, tmp_path: Path) -> None:
    info = ar.create_arena(store, "bots", "support questions")
    assert info.schema_version == 1 and info.contestants == [] and info.prompts == 0
    with pytest.raises(BadInput, match="already exists"):
        ar.create_arena(store, "bots")
    with pytest.raises(BadInput, match="bad arena name"):
        ar.create_arena(store, "bad name!")
    gguf = tmp_path / "m.Q4.gguf"
    gguf.write_bytes(b"GGUF")
    c = ar.add_contestant(store, "bots", str(gguf), sampling=ar.Sampling(temperature=0.2, max_tokens=64))
    assert (c.name, c.kind, c.concurrency, c.sampling.max_tokens) == ("m.Q4", "llamacpp", 1, 64)
    api = ar.add_contestant(store, "bots", "openai:gpt-x@https://api.example.com", api_key_env="EXAMPLE_KEY")
    assert api.name == "gpt-x" and api.concurrency == 4 and api.api_key_env == "EXAMPLE_KEY"
    assert api.spec == "openai:gpt-x@https://api.example.com"
    with pytest.raises(BadInput, match="not an environment variable name"):
        ar.add_contestant(store, "bots", "openai:y@http://h:1/v1", api_key_env="sk-secret value")
    with pytest.raises(BadInput, match="already has a contestant"):
        ar.add_contestant(store, "bots", "openai:gpt-x@http://other:1/v1")
    with pytest.raises(BadInput, match="does not exist"):
        ar.add_contestant(store, "bots", str(tmp_path / "missing.gguf"))
    with pytest.raises(BadInput, match="unknown contestant spec"):
        ar.add_contestant(store, "bots", "ollama:qwen")
    removed = ar.remove_contestant(store, "bots", "gpt-x")
    assert not removed.active and removed.removed_at
    again = ar.add_contestant(store, "bots", "openai:gpt-x@https://api.example.com")
    assert again.active and again.id == api.id  # reactivated, same row
    listing = ar.list_arenas(store)
    assert [(a.name, a.contestants) for a in listing.arenas] == [("bots", 2)]
    with pytest.raises(NotFound, match=r"no arena named 'bot'.*did you mean: bots"):
        ar.get_arena(store, "bot")


def test_prompt_files_all_formats_and_line_numbered_errors(store, tmp_path: Path) -> None:
    ar.create_arena(store, "p")
    jsonl = tmp_path / "p.jsonl"
    jsonl.write_text(json.dumps({"prompt": "Hi?", "tags": ["a", "b"]}) + "\n\n" + json.dumps(
        {"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "One"},
                      {"role": "assistant", "content": "1"}, {"role": "user", "content": "Two?"}]}) + "\n")
    r = ar.add_prompts(store, "p", jsonl)
    assert (r.added, r.duplicates, r.tags) == (2, 0, {"a": 1, "b": 1})
    assert ar.add_prompts(store, "p", jsonl).duplicates == 2  # re-adding is harmless
    csv_file = tmp_path / "p.csv"
    csv_file.write_text('prompt,tags\n"Line one\nline two",x;y\nplain,\n')
    assert ar.add_prompts(store, "p", csv_file).added == 2
    yaml_file = tmp_path / "p.yaml"
    yaml_file.write_text("prompts:\n  - prompt: From YAML\n    tags: [z]\n  - just a string prompt\n")
    assert ar.add_prompts(store, "p", yaml_file).added == 2
    assert ar.get_arena(store, "p").prompts == 6
    rows = read_prompt_file(jsonl)
    assert rows[1].text == "Two?" and len(rows[1].messages) == 4

    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"prompt": "ok"}\n{"prompt": 3}\n')
    with pytest.raises(BadInput, match=r"bad.jsonl line 2: prompt must be text"):
        ar.add_prompts(store, "p", bad)
    bad.write_text('{"prompt": "ok"}\n\n{"prompt": "x", "tag": "typo"}\n')
    with pytest.raises(BadInput, match=r"line 3: unknown field 'tag'"):
        ar.add_prompts(store, "p", bad)
    bad.write_text('{"messages": [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}]}\n')
    with pytest.raises(BadInput, match="line 1: the conversation must end with a user message"):
        ar.add_prompts(store, "p", bad)
    bad.write_text('{"prompt": "ok"\n')
    with pytest.raises(BadInput, match="line 1: bad JSON"):
        ar.add_prompts(store, "p", bad)
    bad_csv = tmp_path / "bad.csv"
    bad_csv.write_text("prompt,tags\nfine,a\n,\n'x',a,extra\n")
    with pytest.raises(BadInput, match=r"bad\.csv line 4: 3 fields, the header has 2"):
        ar.add_prompts(store, "p", bad_csv)
    bad_yaml = tmp_path / "bad.yaml"
    bad_yaml.write_text("- prompt: ok\n- prompt: [unclosed\n")
    with pytest.raises(BadInput, match=r"bad\.yaml line 2"):
        ar.add_prompts(store, "p", bad_yaml)
    bad_yaml.write_text("- prompt: ok\n- 42\n")
    with pytest.raises(BadInput, match=r"bad\.yaml line 2: expected a mapping"):
        ar.add_prompts(store, "p", bad_yaml)
    assert ar.get_arena(store, "p").prompts == 6  # every failed file left nothing behind


def test_voters_tokens_and_caps(store, fill) -> None:
    fill(store, "v", contestants=2, prompts=4)
    alice = ar.add_voter(store, "v", "alice", cap=2)
    assert alice.token and len(alice.token) >= 16
    assert ar.voter_for_token(store, "v", alice.token).name == "alice"
    with pytest.raises(UnknownVoter):
        ar.voter_for_token(store, "v", "not-a-token-at-all")
    raw = store.conn.execute("SELECT token_hash FROM arena_voters").fetchone()[0]
    assert alice.token not in raw  # stored hashed
    ar.add_voter(store, "v", "bob", token="bob-secret-123")
    rng = random.Random(3)
    for _ in range(2):
        b = ar.next_battle(store, "v", "alice", rng=rng)
        assert b.voter == "alice" and b.revealed is None and b.votable
        ar.record_vote(store, b.id, "alice", "a")
    with pytest.raises(CapReached):
        ar.next_battle(store, "v", "alice", rng=rng)
    b = ar.next_battle(store, "v", "bob", rng=rng)
    with pytest.raises(BattleClosed, match="served to another voter"):
        ar.record_vote(store, b.id, "alice", "a")
    assert [(v.name, v.votes, v.cap) for v in ar.list_voters(store, "v")] == [("alice", 2, 2), ("bob", 0, None)]


def test_next_battle_sides_prompts_and_reveal(store, fill) -> None:
    names = fill(store, "n", contestants=3, prompts=6)
    rng = random.Random(11)
    left = {n: 0 for n in names}
    seen_prompts = set()
    for _ in range(60):
        b = ar.next_battle(store, "n", rng=rng)
        assert len(b.turns) == 1 and b.turns[0].a.status == "ok" and b.needs_generation is False
        assert b.turns[0].user.startswith("question ")
        ack = ar.record_vote(store, b.id, None, rng.choice(["a", "b", "tie", "both_bad"]))
        assert {ack.model_a, ack.model_b} <= set(names) and ack.model_a != ack.model_b
        left[ack.model_a] += 1
        seen_prompts.add(b.prompt_id)
        view = ar.get_battle(store, b.id)
        assert view.revealed is not None and view.revealed.model_a == ack.model_a and not view.votable
    assert all(10 <= n <= 30 for n in left.values())  # every model on the left about a third of the time
    assert len(seen_prompts) == 6  # least-shown prompts first: all of them used
    by_tag = ar.next_battle(store, "n", tag="y", rng=rng)
    assert by_tag.tags == ["y"]
    with pytest.raises(NothingToVote):
        ar.next_battle(store, "n", tag="nope")
    ar.remove_contestant(store, "n", "m0")
    for _ in range(10):
        b = ar.next_battle(store, "n", rng=rng)
        ack = ar.record_vote(store, b.id, None, "tie")
        assert "m0" not in (ack.model_a, ack.model_b)
    board = ar.leaderboard(store, "n", resamples=0)
    assert {r.model: r.active for r in board.rows}["m0"] is False  # removed, votes kept


def test_adaptive_sampling_caps_inequality(store, fill) -> None:
    from shortlist.arena.sampling import pair_weights

    pairs = [(1, 2), (1, 3), (2, 3)]
    theta = {1: 0.0, 2: 0.05, 3: 3.0}
    cov = {(i, j): (0.01 if i == j else 0.0) for i in theta for j in theta}
    w = pair_weights(pairs, "adaptive", {1: 100, 2: 100, 3: 100}, theta, cov, max_ratio=3.0)
    assert w[0] == max(w) and pytest.approx(max(w) / min(w)) == 3.0  # close pair favoured, far pair capped
    fresh = pair_weights(pairs, "adaptive", {1: 100, 2: 100, 3: 0}, {}, {}, max_ratio=3.0)
    assert fresh[1] == fresh[2] > fresh[0]  # the unvoted model's pairs first
    assert list(pair_weights(pairs, "uniform", {})) == pytest.approx([1 / 3] * 3)
    fill(store, "ad", contestants=4, prompts=5)
    rng = random.Random(5)
    for _ in range(30):
        b = ar.next_battle(store, "ad", strategy="adaptive", rng=rng)
        ar.record_vote(store, b.id, None, "a" if ar.get_battle(store, b.id).turns[0].a.text < "answer of m2" else "b")


def test_identity_guard_words() -> None:
    guard = IdentityGuard(contestant_words(["SmolLM2-135M-Instruct.Q4_1", "acme-helper-v2"]))
    assert guard.check("As ChatGPT, developed by OpenAI, I ...") == ["chatgpt", "openai"]
    assert guard.check("I'm SmolLM, trained by Hugging Face.") == ["hugging face", "smollm"]
    assert guard.check("Hello from acme") == ["acme"]
    assert guard.check("The metadata of a phi-node; meta tags; a falcon flew") == []
    assert guard.check("Plain answer.") == []

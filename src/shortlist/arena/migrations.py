"""The arena area's schema, and the one way its functions open the store (`ready`).

Why this shape:
- Votes keep the two contestants as shown (side A = left), so position bias can be measured and an
  imported vote (no battle) has the same shape as a live one.
- One human vote per battle is a unique index, and a vote's idempotency key is unique in its arena: a
  retried request can never count twice, even if two copies race.
- Answers are rows of their own: a pre-generated answer (battle_id NULL) is shared by every battle that
  shows it; answers to later turns, regenerations and live answers belong to one battle.
- A battle's `unfinished` flag is separate from its status: a vote cast while answers stream is kept, but
  if a backend then fails the battle is unfinished and its vote is never counted.
"""

from __future__ import annotations

from shortlist.store import MigrationSet, Store

MIGRATIONS = MigrationSet("arena")

MIGRATIONS.step(
    "0001_arenas",
    """
    CREATE TABLE arena_arenas (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        description TEXT NOT NULL DEFAULT '',
        created_at TEXT NOT NULL
    );
    CREATE TABLE arena_contestants (
        id INTEGER PRIMARY KEY,
        arena_id INTEGER NOT NULL REFERENCES arena_arenas(id) ON DELETE CASCADE,
        name TEXT NOT NULL,
        spec TEXT NOT NULL,
        kind TEXT NOT NULL,
        sampling_json TEXT NOT NULL,
        api_key_env TEXT,
        concurrency INTEGER NOT NULL DEFAULT 1,
        active INTEGER NOT NULL DEFAULT 1,
        added_at TEXT NOT NULL,
        removed_at TEXT,
        UNIQUE (arena_id, name)
    );
    CREATE TABLE arena_prompts (
        id INTEGER PRIMARY KEY,
        arena_id INTEGER NOT NULL REFERENCES arena_arenas(id) ON DELETE CASCADE,
        text TEXT NOT NULL,
        messages_json TEXT,
        tags_json TEXT NOT NULL DEFAULT '[]',
        source TEXT NOT NULL,
        pooled INTEGER NOT NULL DEFAULT 1,
        content_hash TEXT NOT NULL,
        created_at TEXT NOT NULL,
        UNIQUE (arena_id, content_hash)
    );
    CREATE TABLE arena_voters (
        id INTEGER PRIMARY KEY,
        arena_id INTEGER NOT NULL REFERENCES arena_arenas(id) ON DELETE CASCADE,
        name TEXT NOT NULL,
        token_hash TEXT UNIQUE,
        cap INTEGER,
        created_at TEXT NOT NULL,
        UNIQUE (arena_id, name)
    );
    CREATE TABLE arena_battles (
        id INTEGER PRIMARY KEY,
        arena_id INTEGER NOT NULL REFERENCES arena_arenas(id) ON DELETE CASCADE,
        prompt_id INTEGER NOT NULL REFERENCES arena_prompts(id),
        contestant_a INTEGER NOT NULL REFERENCES arena_contestants(id),
        contestant_b INTEGER NOT NULL REFERENCES arena_contestants(id),
        voter_id INTEGER REFERENCES arena_voters(id),
        strategy TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('open', 'voted', 'skipped', 'judge')),
        unfinished INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE INDEX arena_battles_pair ON arena_battles (arena_id, contestant_a, contestant_b);
    CREATE TABLE arena_answers (
        id INTEGER PRIMARY KEY,
        arena_id INTEGER NOT NULL REFERENCES arena_arenas(id) ON DELETE CASCADE,
        contestant_id INTEGER NOT NULL REFERENCES arena_contestants(id),
        prompt_id INTEGER NOT NULL REFERENCES arena_prompts(id),
        battle_id INTEGER REFERENCES arena_battles(id),
        turn INTEGER NOT NULL DEFAULT 0,
        messages_json TEXT NOT NULL,
        sampling_json TEXT NOT NULL,
        text TEXT NOT NULL DEFAULT '',
        status TEXT NOT NULL CHECK (status IN ('pending', 'running', 'ok', 'stopped', 'failed')),
        error TEXT,
        finish_reason TEXT,
        ttft_s REAL,
        tokens_per_s REAL,
        prompt_tokens INTEGER,
        completion_tokens INTEGER,
        wall_s REAL,
        flagged INTEGER NOT NULL DEFAULT 0,
        flagged_words TEXT,
        style_json TEXT,
        started_at TEXT,
        finished_at TEXT
    );
    CREATE UNIQUE INDEX arena_pool_answer ON arena_answers (contestant_id, prompt_id)
        WHERE battle_id IS NULL AND status = 'ok';
    CREATE INDEX arena_answers_prompt ON arena_answers (arena_id, prompt_id);
    CREATE TABLE arena_turns (
        battle_id INTEGER NOT NULL REFERENCES arena_battles(id) ON DELETE CASCADE,
        turn INTEGER NOT NULL,
        user_text TEXT NOT NULL,
        answer_a INTEGER NOT NULL REFERENCES arena_answers(id),
        answer_b INTEGER NOT NULL REFERENCES arena_answers(id),
        PRIMARY KEY (battle_id, turn)
    );
    CREATE TABLE arena_votes (
        id INTEGER PRIMARY KEY,
        arena_id INTEGER NOT NULL REFERENCES arena_arenas(id) ON DELETE CASCADE,
        battle_id INTEGER REFERENCES arena_battles(id),
        contestant_a INTEGER NOT NULL REFERENCES arena_contestants(id),
        contestant_b INTEGER NOT NULL REFERENCES arena_contestants(id),
        outcome TEXT NOT NULL CHECK (outcome IN ('a', 'b', 'tie', 'both_bad')),
        voter_id INTEGER REFERENCES arena_voters(id),
        voter TEXT,
        judge TEXT,
        source TEXT NOT NULL CHECK (source IN ('live', 'import', 'judge')),
        idempotency_key TEXT,
        flagged INTEGER NOT NULL DEFAULT 0,
        tags_json TEXT,
        language TEXT,
        turns INTEGER,
        style_json TEXT,
        details_json TEXT,
        tstamp REAL NOT NULL,
        created_at TEXT NOT NULL
    );
    CREATE UNIQUE INDEX arena_one_human_vote ON arena_votes (battle_id)
        WHERE battle_id IS NOT NULL AND judge IS NULL;
    CREATE UNIQUE INDEX arena_one_judge_vote ON arena_votes (battle_id, judge)
        WHERE battle_id IS NOT NULL AND judge IS NOT NULL;
    CREATE UNIQUE INDEX arena_vote_key ON arena_votes (arena_id, idempotency_key);
    CREATE INDEX arena_votes_arena ON arena_votes (arena_id, judge);
    CREATE INDEX arena_votes_voter ON arena_votes (voter_id)
    """,
)


def ready(store: Store) -> Store:
    """Apply the arena schema and make every commit durable before it is acknowledged.

    WAL with synchronous=NORMAL (the store's default) survives a killed process but may lose the last
    commits on power loss; FULL syncs the log at each commit, so a vote acknowledged to a voter is on disk.
    It applies to this connection only, and a vote costs one fsync.
    """
    store.migrate(MIGRATIONS)
    if str(store.path) != ":memory:":
        store.conn.execute("PRAGMA synchronous = FULL")
    return store

"""The evaluate area's schema: runs, and one row per finished sample (the resume/reuse cache)."""

from __future__ import annotations

from shortlist.store import MigrationSet

MIGRATIONS = MigrationSet("evaluate")

MIGRATIONS.step(
    "0001_runs_samples",
    """
    CREATE TABLE eval_runs (
        run_id TEXT PRIMARY KEY,
        model TEXT NOT NULL,
        fingerprint TEXT NOT NULL,
        backend_json TEXT NOT NULL,
        request_json TEXT NOT NULL,
        status TEXT NOT NULL,
        started_at TEXT NOT NULL,
        finished_at TEXT,
        wall_s REAL,
        tokens INTEGER,
        tokens_per_s REAL,
        peak_rss_bytes INTEGER,
        results_json TEXT
    );
    CREATE TABLE eval_samples (
        fingerprint TEXT NOT NULL,
        task TEXT NOT NULL,
        task_version TEXT NOT NULL,
        doc_id INTEGER NOT NULL,
        prompt_hash TEXT NOT NULL,
        run_id TEXT NOT NULL,
        loglikelihoods_json TEXT,
        is_greedy_json TEXT,
        generation TEXT,
        gold_json TEXT NOT NULL,
        pred INTEGER,
        metrics_json TEXT NOT NULL,
        created_at TEXT NOT NULL,
        PRIMARY KEY (fingerprint, task, task_version, doc_id, prompt_hash)
    );
    CREATE INDEX eval_samples_run ON eval_samples (run_id)
    """,
)

# The process that owns a 'running' run, so a later run can tell a killed one ('interrupted') from a live one.
MIGRATIONS.step("m002_eval_runs_pid", "ALTER TABLE eval_runs ADD COLUMN pid INTEGER")

# What the model was shown, so runs can be browsed and compared item by item without the dataset at hand.
MIGRATIONS.step("m003_eval_samples_prompt", """
    ALTER TABLE eval_samples ADD COLUMN prompt TEXT;
    ALTER TABLE eval_samples ADD COLUMN choices_json TEXT
""")
# How many docs a run will score, so a running run can show its progress.
MIGRATIONS.step("m004_eval_runs_total", "ALTER TABLE eval_runs ADD COLUMN total_docs INTEGER")

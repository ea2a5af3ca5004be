"""Regenerate src/shortlist/catalog/data/hosted.yaml and arena_names.yaml from the llm-stats.com dataset.

Usage: python scripts/build_hosted.py MIRROR [--rev COMMIT] [--arena-votes PARQUET] [--arena-board CSV]

MIRROR is a git clone (a bare mirror is enough) of github.com/JonathanChavezTamales/llm-leaderboard; files are
read with `git show REV:path`, so no work tree is needed. The dataset is CC-BY-4.0: both outputs name it.

hosted.yaml holds (1) API-only models billed by their maker's own API (first party; resellers such as Azure,
Bedrock-for-Anthropic or Vertex-for-Anthropic are left out) and (2) hosted endpoints, from any provider, of
open-weight models that are in the catalog (or named in PENDING: being added right now). arena_names.yaml maps
every model name of the LMArena 140k vote file to a hosted.yaml id (API models), a catalog id (open weights)
or null, with the reason. The output is deterministic for a given mirror revision, catalog and arena files.
Review the diff before committing.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import textwrap
from collections import Counter
from pathlib import Path
from typing import Any

import yaml

from shortlist import paths
from shortlist.catalog.loader import load_models
from shortlist.catalog.schema import HostedModel

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "src" / "shortlist" / "catalog" / "data"
PINNED_REV = "24a9ccf7402306f0c3e237213538e4537d64ecc2"
DATASET = "llm-stats.com dataset (github JonathanChavezTamales/llm-leaderboard"

# Catalog ids being added while this file was written (HF repo ids, licence ids as in licenses.yaml): endpoints and
# arena names may point at them before they land in the catalog. The header of hosted.yaml lists any still missing.
PENDING: dict[str, str] = {
    "Qwen/QwQ-32B": "apache-2.0",
    "deepseek-ai/DeepSeek-V3-0324": "mit",
    "deepseek-ai/DeepSeek-V3.1": "mit",
    "deepseek-ai/DeepSeek-R1-0528": "mit",
    "moonshotai/Kimi-K2-Instruct": "modified-mit",
    "mistralai/Mistral-Small-3.2-24B-Instruct-2506": "apache-2.0",
    "mistralai/Magistral-Small-2506": "apache-2.0",
    "mistralai/Devstral-Small-2507": "apache-2.0",
    "HuggingFaceTB/SmolLM3-3B": "apache-2.0",
    "Qwen/Qwen3-Coder-480B-A35B-Instruct": "apache-2.0",
    "CohereLabs/c4ai-command-a-03-2025": "cc-by-nc-4.0",
}

# Every open-weight model of the dataset (organization/model_id) -> its Hugging Face repo id. Written out rather than
# read from model.json's source_weights_link, which is wrong for several rows (R1-0528 points at R1, Qwen2.5-Coder
# -32B-Instruct at the base repo, Llama 3.1 at the pre-rename Meta-Llama-3.1 repos, kimi-k2-0905 has none). A model
# counts only when its repo id is a catalog id (or PENDING); the others are left out and counted.
OPEN_WEIGHTS: dict[str, str] = {
    "cohere/command-r-plus-04-2024": "CohereForAI/c4ai-command-r-plus",
    "deepseek/deepseek-r1": "deepseek-ai/DeepSeek-R1",
    "deepseek/deepseek-r1-0528": "deepseek-ai/DeepSeek-R1-0528",
    "deepseek/deepseek-r1-distill-llama-70b": "deepseek-ai/DeepSeek-R1-Distill-Llama-70B",
    "deepseek/deepseek-r1-distill-llama-8b": "deepseek-ai/DeepSeek-R1-Distill-Llama-8B",
    "deepseek/deepseek-r1-distill-qwen-1.5b": "deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B",
    "deepseek/deepseek-r1-distill-qwen-7b": "deepseek-ai/DeepSeek-R1-Distill-Qwen-7B",
    "deepseek/deepseek-r1-distill-qwen-14b": "deepseek-ai/DeepSeek-R1-Distill-Qwen-14B",
    "deepseek/deepseek-r1-distill-qwen-32b": "deepseek-ai/DeepSeek-R1-Distill-Qwen-32B",
    "deepseek/deepseek-v3": "deepseek-ai/DeepSeek-V3",
    "deepseek/deepseek-v3-0324": "deepseek-ai/DeepSeek-V3-0324",
    "deepseek/deepseek-v3.1": "deepseek-ai/DeepSeek-V3.1",
    "google/gemma-2-9b-it": "google/gemma-2-9b-it",
    "google/gemma-2-27b-it": "google/gemma-2-27b-it",
    "google/gemma-3-1b-it": "google/gemma-3-1b-it",
    "google/gemma-3-4b-it": "google/gemma-3-4b-it",
    "google/gemma-3-12b-it": "google/gemma-3-12b-it",
    "google/gemma-3-27b-it": "google/gemma-3-27b-it",
    "ibm/granite-3.3-8b-instruct": "ibm-granite/granite-3.3-8b-instruct",
    "meta/llama-3.1-8b-instruct": "meta-llama/Llama-3.1-8B-Instruct",
    "meta/llama-3.1-70b-instruct": "meta-llama/Llama-3.1-70B-Instruct",
    "meta/llama-3.1-405b-instruct": "meta-llama/Llama-3.1-405B-Instruct",
    "meta/llama-3.2-3b-instruct": "meta-llama/Llama-3.2-3B-Instruct",
    "meta/llama-3.3-70b-instruct": "meta-llama/Llama-3.3-70B-Instruct",
    "meta/llama-4-maverick": "meta-llama/Llama-4-Maverick-17B-128E-Instruct",
    "meta/llama-4-scout": "meta-llama/Llama-4-Scout-17B-16E-Instruct",
    "microsoft/phi-3.5-mini-instruct": "microsoft/Phi-3.5-mini-instruct",
    "microsoft/phi-3.5-moe-instruct": "microsoft/Phi-3.5-MoE-instruct",
    "microsoft/phi-4": "microsoft/phi-4",
    "microsoft/phi-4-mini": "microsoft/Phi-4-mini-instruct",
    "mistral/devstral-small-2507": "mistralai/Devstral-Small-2507",
    "mistral/magistral-small-2506": "mistralai/Magistral-Small-2506",
    "mistral/mistral-large-2-2407": "mistralai/Mistral-Large-Instruct-2407",
    "mistral/mistral-nemo-instruct-2407": "mistralai/Mistral-Nemo-Instruct-2407",
    "mistral/mistral-small-2409": "mistralai/Mistral-Small-Instruct-2409",
    "mistral/mistral-small-24b-base-2501": "mistralai/Mistral-Small-24B-Base-2501",
    "mistral/mistral-small-24b-instruct-2501": "mistralai/Mistral-Small-24B-Instruct-2501",
    "mistral/mistral-small-3.1-24b-base-2503": "mistralai/Mistral-Small-3.1-24B-Base-2503",
    "mistral/mistral-small-3.1-24b-instruct-2503": "mistralai/Mistral-Small-3.1-24B-Instruct-2503",
    "mistral/mistral-small-3.2-24b-instruct-2506": "mistralai/Mistral-Small-3.2-24B-Instruct-2506",
    "moonshotai/kimi-k2-instruct": "moonshotai/Kimi-K2-Instruct",
    "openai/gpt-oss-20b": "openai/gpt-oss-20b",
    "openai/gpt-oss-120b": "openai/gpt-oss-120b",
    "qwen/qwen-2.5-7b-instruct": "Qwen/Qwen2.5-7B-Instruct",
    "qwen/qwen-2.5-14b-instruct": "Qwen/Qwen2.5-14B-Instruct",
    "qwen/qwen-2.5-32b-instruct": "Qwen/Qwen2.5-32B-Instruct",
    "qwen/qwen-2.5-72b-instruct": "Qwen/Qwen2.5-72B-Instruct",
    "qwen/qwen-2.5-coder-7b-instruct": "Qwen/Qwen2.5-Coder-7B-Instruct",
    "qwen/qwen-2.5-coder-32b-instruct": "Qwen/Qwen2.5-Coder-32B-Instruct",
    "qwen/qwen2-7b-instruct": "Qwen/Qwen2-7B-Instruct",
    "qwen/qwen2-72b-instruct": "Qwen/Qwen2-72B-Instruct",
    "qwen/qwen3-30b-a3b": "Qwen/Qwen3-30B-A3B",
    "qwen/qwen3-32b": "Qwen/Qwen3-32B",
    "qwen/qwen3-235b-a22b": "Qwen/Qwen3-235B-A22B",
    "qwen/qwen3-235b-a22b-instruct-2507": "Qwen/Qwen3-235B-A22B-Instruct-2507",
    "qwen/qwen3-235b-a22b-thinking-2507": "Qwen/Qwen3-235B-A22B-Thinking-2507",
    "qwen/qwq-32b": "Qwen/QwQ-32B",
    "zai-org/glm-4.5": "zai-org/GLM-4.5",
    "zai-org/glm-4.5-air": "zai-org/GLM-4.5-Air",
    "ai21/jamba-1.5-large": "ai21labs/AI21-Jamba-1.5-Large",
    "ai21/jamba-1.5-mini": "ai21labs/AI21-Jamba-1.5-Mini",
    "deepseek/deepseek-v2.5": "deepseek-ai/DeepSeek-V2.5",
    "deepseek/deepseek-v3.2-exp": "deepseek-ai/DeepSeek-V3.2-Exp",
    "deepseek/deepseek-vl2": "deepseek-ai/deepseek-vl2",
    "google/gemma-3n-e4b-it": "google/gemma-3n-E4B-it",
    "meta/llama-3.2-11b-instruct": "meta-llama/Llama-3.2-11B-Vision-Instruct",
    "meta/llama-3.2-90b-instruct": "meta-llama/Llama-3.2-90B-Vision-Instruct",
    "microsoft/phi-4-multimodal-instruct": "microsoft/Phi-4-multimodal-instruct",
    "mistral/ministral-8b-instruct-2410": "mistralai/Ministral-8B-Instruct-2410",
    "mistral/pixtral-12b-2409": "mistralai/Pixtral-12B-2409",
    "mistral/pixtral-large": "mistralai/Pixtral-Large-Instruct-2411",
    "moonshotai/kimi-k2-0905": "moonshotai/Kimi-K2-Instruct-0905",
    "qwen/qwen3-next-80b-a3b-instruct": "Qwen/Qwen3-Next-80B-A3B-Instruct",
    "qwen/qwen3-next-80b-a3b-thinking": "Qwen/Qwen3-Next-80B-A3B-Thinking",
    "qwen/qwq-32b-preview": "Qwen/QwQ-32B-Preview",
    "zai-org/glm-4.5v": "zai-org/GLM-4.5V",
    "zai-org/glm-4.6": "zai-org/GLM-4.6",
    "deepseek/deepseek-r1-zero": "deepseek-ai/DeepSeek-R1-Zero",
    "deepseek/deepseek-vl2-small": "deepseek-ai/deepseek-vl2-small",
    "deepseek/deepseek-vl2-tiny": "deepseek-ai/deepseek-vl2-tiny",
    "google/gemma-3n-e2b": "google/gemma-3n-E2B",
    "google/gemma-3n-e2b-it": "google/gemma-3n-E2B-it",
    "google/gemma-3n-e2b-it-litert-preview": "google/gemma-3n-E2B-it-litert-preview",
    "google/gemma-3n-e4b": "google/gemma-3n-E4B",
    "google/gemma-3n-e4b-it-litert-preview": "google/gemma-3n-E4B-it-litert-preview",
    "google/medgemma-4b-it": "google/medgemma-4b-it",
    "ibm/granite-3.3-8b-base": "ibm-granite/granite-3.3-8b-base",
    "ibm/granite-4.0-tiny-preview": "ibm-granite/granite-4.0-tiny-preview",
    "microsoft/phi-3.5-vision-instruct": "microsoft/Phi-3.5-vision-instruct",
    "microsoft/phi-4-mini-reasoning": "microsoft/Phi-4-mini-reasoning",
    "microsoft/phi-4-reasoning": "microsoft/Phi-4-reasoning",
    "microsoft/phi-4-reasoning-plus": "microsoft/Phi-4-reasoning-plus",
    "mistral/codestral-22b": "mistralai/Codestral-22B-v0.1",
    "moonshotai/kimi-k2-base": "moonshotai/Kimi-K2-Base",
    "moonshotai/kimi-k2-instruct-0905": "moonshotai/Kimi-K2-Instruct-0905",
    "nvidia/llama-3.1-nemotron-70b-instruct": "nvidia/Llama-3.1-Nemotron-70B-Instruct-HF",
    "nvidia/llama-3.1-nemotron-nano-8b-v1": "nvidia/Llama-3.1-Nemotron-Nano-8B-v1",
    "nvidia/llama-3.1-nemotron-ultra-253b-v1": "nvidia/Llama-3_1-Nemotron-Ultra-253B-v1",
    "nvidia/llama-3.3-nemotron-super-49b-v1": "nvidia/Llama-3_3-Nemotron-Super-49B-v1",
    "nvidia/nemotron-nano-9b-v2": "nvidia/NVIDIA-Nemotron-Nano-9B-v2",
    "qwen/qvq-72b-preview": "Qwen/QVQ-72B-Preview",
    "qwen/qwen2-vl-72b": "Qwen/Qwen2-VL-72B-Instruct",
    "qwen/qwen2.5-omni-7b": "Qwen/Qwen2.5-Omni-7B",
    "qwen/qwen2.5-vl-7b": "Qwen/Qwen2.5-VL-7B-Instruct",
    "qwen/qwen2.5-vl-32b": "Qwen/Qwen2.5-VL-32B-Instruct",
    "qwen/qwen2.5-vl-72b": "Qwen/Qwen2.5-VL-72B-Instruct",
    "qwen/qwen3-next-80b-a3b-base": "Qwen/Qwen3-Next-80B-A3B-Base",
}

# The model maker's own API, per dataset organization: only these rows of an API-only model are kept.
FIRST_PARTY: dict[str, str] = {
    "openai": "openai", "anthropic": "anthropic", "google": "google", "xai": "xai", "deepseek": "deepseek",
    "mistral": "mistral", "cohere": "cohere", "amazon": "bedrock",  # Amazon sells Nova through Bedrock only
}

# Rows of the dataset served under another catalog model than the row names: (provider, model_id) -> (id, why).
ENDPOINT_WEIGHTS_FIX: dict[tuple[str, str], tuple[str, str]] = {
    ("mistral", "mistral-small-3.1-24b-base-2503"): (
        "mistralai/Mistral-Small-3.1-24B-Instruct-2503",
        "the dataset files Mistral's API row for Mistral Small 3.1 under the base model; La Plateforme serves the "
        "instruct model (mistral-small-2503), so the endpoint is mapped to the instruct weights"),
}

# Rows left out, with the reason (a price the provider cannot have listed).
EXCLUDE: dict[tuple[str, str], str] = {
    ("groq", "llama-3.3-70b-instruct"): (
        "output price recorded as 790 cents/1M (US$7.90) against 59 cents input: 13x the input price and 10x every "
        "other provider's output price for this model; Groq lists US$0.79, so the row holds a unit slip"),
}

# Provider model ids beside the dataset's own (snapshot names and aliases the provider documents).
EXTRA_IDS: dict[tuple[str, str], list[str]] = {
    ("openai", "gpt-4.5"): ["gpt-4.5-preview", "gpt-4.5-preview-2025-02-27"],
    ("openai", "o1-mini"): ["o1-mini-2024-09-12"],
    ("openai", "o1-preview"): ["o1-preview-2024-09-12"],
    ("openai", "o1-2024-12-17"): ["o1"],
    ("openai", "o3-2025-04-16"): ["o3"],
    ("openai", "o3-mini"): ["o3-mini-2025-01-31"],
    ("openai", "o3-pro-2025-06-10"): ["o3-pro"],
    ("openai", "o4-mini"): ["o4-mini-2025-04-16"],
    ("openai", "gpt-4.1-2025-04-14"): ["gpt-4.1"],
    ("openai", "gpt-4.1-mini-2025-04-14"): ["gpt-4.1-mini"],
    ("openai", "gpt-4.1-nano-2025-04-14"): ["gpt-4.1-nano"],
    ("openai", "gpt-4-turbo-2024-04-09"): ["gpt-4-turbo"],
    ("google", "gemini-2.0-flash"): ["gemini-2.0-flash-001"],
    ("google", "gemini-2.0-flash-lite"): ["gemini-2.0-flash-lite-001"],
    ("xai", "grok-4"): ["grok-4-0709"],
    ("xai", "grok-3"): ["grok-3-beta"],
    ("xai", "grok-3-mini"): ["grok-3-mini-beta"],
    ("xai", "grok-2"): ["grok-2-1212"],
    ("bedrock", "nova-pro"): ["amazon.nova-pro-v1:0"],
    ("bedrock", "nova-lite"): ["amazon.nova-lite-v1:0"],
    ("bedrock", "nova-micro"): ["amazon.nova-micro-v1:0"],
}

# Notes on API entries (what the id serves, what the data leaves out).
API_NOTES: dict[tuple[str, str], str] = {
    ("xai", "grok-2"): "xAI's grok-2 API id serves grok-2-1212 (Dec 2024), not the Aug 2024 Grok-2 of the arena "
                       "row Grok-2-08-13, which is therefore not an alias here",
    ("xai", "grok-3"): "the API's grok-3 answers without a reasoning phase (Grok 3 'Think' was a chat-app mode)",
    ("openai", "o3-mini"): "reasoning effort is a request parameter: o3-mini-high (LMArena) is this model at 'high'",
    ("xai", "grok-3-mini"): "reasoning effort is a request parameter: grok-3-mini-high (LMArena) is this model at "
                            "'high'",
    ("anthropic", "claude-3-7-sonnet-20250219"): "extended thinking is a request option; thinking tokens bill as "
                                                 "output. The -thinking-32k arena rows are this model with a 32k "
                                                 "thinking budget",
    ("anthropic", "claude-opus-4-20250514"): "extended thinking is a request option; the -thinking-16k arena rows "
                                             "are this model with a 16k thinking budget",
    ("anthropic", "claude-sonnet-4-20250514"): "extended thinking is a request option; the -thinking-32k arena "
                                               "rows are this model with a 32k thinking budget",
    ("google", "gemini-1.5-pro"): "the un-dated id pointed at gemini-1.5-pro-002 from Sep 2024",
    ("google", "gemini-1.5-flash"): "the un-dated id pointed at gemini-1.5-flash-002 from Sep 2024",
}

# Release dates the dataset has wrong: (org/model_id) -> (date, source of the fix).
RELEASE_DATE_FIX: dict[str, tuple[str, str]] = {
    "google/gemini-1.5-flash-8b": ("2024-10-03", "GA of gemini-1.5-flash-8b (the dataset has 2024-03-15)"),
}

# LMArena names (vote file and text board) of API-only models -> the (provider, dataset model_id) they mean.
ARENA_API: dict[tuple[str, str], list[str]] = {
    ("openai", "gpt-3.5-turbo-0125"): ["GPT-3.5-Turbo-0125"],
    ("openai", "gpt-4-0613"): ["GPT-4-0613"],
    ("openai", "gpt-4-turbo-2024-04-09"): ["GPT-4-Turbo-2024-04-09"],
    ("openai", "gpt-4o-2024-05-13"): ["GPT-4o-2024-05-13"],
    ("openai", "gpt-4o-2024-08-06"): ["GPT-4o-2024-08-06"],
    ("openai", "gpt-4.5"): ["GPT-4.5-Preview"],
    ("openai", "gpt-4.1-2025-04-14"): ["gpt-4.1-2025-04-14", "GPT-4.1-2025-04-14"],
    ("openai", "gpt-4.1-mini-2025-04-14"): ["gpt-4.1-mini-2025-04-14", "GPT-4.1-mini-2025-04-14"],
    ("openai", "gpt-4.1-nano-2025-04-14"): ["GPT-4.1-nano-2025-04-14"],
    ("openai", "o1-preview"): ["o1-preview"],
    ("openai", "o1-mini"): ["o1-mini"],
    ("openai", "o1-2024-12-17"): ["o1-2024-12-17"],
    ("openai", "o3-mini"): ["o3-mini", "o3-mini-high"],
    ("openai", "o3-2025-04-16"): ["o3-2025-04-16"],
    ("openai", "o4-mini"): ["o4-mini-2025-04-16"],
    ("anthropic", "claude-3-haiku-20240307"): ["Claude 3 Haiku"],
    ("anthropic", "claude-3-sonnet-20240229"): ["Claude 3 Sonnet"],
    ("anthropic", "claude-3-opus-20240229"): ["Claude 3 Opus"],
    ("anthropic", "claude-3-5-haiku-20241022"): ["claude-3-5-haiku-20241022", "Claude 3.5 Haiku (20241022)"],
    ("anthropic", "claude-3-5-sonnet-20241022"): ["claude-3-5-sonnet-20241022", "Claude 3.5 Sonnet (20241022)"],
    ("anthropic", "claude-3-7-sonnet-20250219"): [
        "claude-3-7-sonnet-20250219", "claude-3-7-sonnet-20250219-thinking-32k", "Claude 3.7 Sonnet",
        "Claude 3.7 Sonnet (thinking-32k)"],
    ("anthropic", "claude-opus-4-20250514"): [
        "claude-opus-4-20250514", "claude-opus-4-20250514-thinking-16k", "Claude Opus 4 (20250514)",
        "Claude Opus 4 (thinking-16k)"],
    ("anthropic", "claude-sonnet-4-20250514"): [
        "claude-sonnet-4-20250514", "claude-sonnet-4-20250514-thinking-32k", "Claude Sonnet 4 (20250514)",
        "Claude Sonnet 4 (thinking-32k)"],
    ("google", "gemini-1.0-pro"): ["Gemini-1.0-Pro-001"],
    ("google", "gemini-1.5-pro"): ["Gemini-1.5-Pro-002"],
    ("google", "gemini-1.5-flash"): ["Gemini-1.5-Flash-002"],
    ("google", "gemini-1.5-flash-8b"): ["Gemini-1.5-Flash-8B-001"],
    ("google", "gemini-2.0-flash"): ["gemini-2.0-flash-001", "Gemini-2.0-Flash-001"],
    ("google", "gemini-2.0-flash-lite"): ["Gemini-2.0-Flash-Lite"],
    ("google", "gemini-2.5-flash"): ["gemini-2.5-flash", "Gemini-2.5-Flash"],
    ("google", "gemini-2.5-pro"): ["gemini-2.5-pro", "Gemini-2.5-Pro"],
    ("xai", "grok-3"): ["grok-3-preview-02-24", "Grok-3-Preview-02-24"],
    ("xai", "grok-3-mini"): ["grok-3-mini-beta", "Grok-3-Mini-beta", "grok-3-mini-high", "Grok-3-mini-high"],
    ("xai", "grok-4"): ["grok-4-0709", "Grok-4-0709"],
    ("bedrock", "nova-pro"): ["amazon.nova-pro-v1:0", "Amazon Nova Pro 1.0"],
    ("bedrock", "nova-lite"): ["Amazon Nova Lite 1.0"],
    ("bedrock", "nova-micro"): ["Amazon Nova Micro 1.0"],
}

# Every model name of the vote file: a catalog id (open weights), ("api", provider, model_id) for a hosted.yaml
# entry, or None; the note says why (mode, checkpoint, missing price, unreleased).
ArenaTarget = str | tuple[str, str, str] | None
ARENA_VOTE_NAMES: dict[str, tuple[ArenaTarget, str | None]] = {
    "amazon-nova-experimental-chat-05-14": (None, "an unreleased Amazon test model shown on LMArena only; no API "
                                                  "id, price or weights"),
    "amazon.nova-pro-v1:0": (("api", "bedrock", "nova-pro"), None),
    "chatgpt-4o-latest-20250326": (None, "the GPT-4o snapshot behind ChatGPT (API alias chatgpt-4o-latest, which "
                                         "moves); the dataset has no price row for it and it is not gpt-4o-2024-08-06"),
    "claude-3-5-haiku-20241022": (("api", "anthropic", "claude-3-5-haiku-20241022"), None),
    "claude-3-5-sonnet-20241022": (("api", "anthropic", "claude-3-5-sonnet-20241022"), None),
    "claude-3-7-sonnet-20250219": (("api", "anthropic", "claude-3-7-sonnet-20250219"), None),
    "claude-3-7-sonnet-20250219-thinking-32k": (("api", "anthropic", "claude-3-7-sonnet-20250219"),
                                                "extended thinking, 32k budget: same API model and price"),
    "claude-opus-4-20250514": (("api", "anthropic", "claude-opus-4-20250514"), None),
    "claude-opus-4-20250514-thinking-16k": (("api", "anthropic", "claude-opus-4-20250514"),
                                            "extended thinking, 16k budget: same API model and price"),
    "claude-sonnet-4-20250514": (("api", "anthropic", "claude-sonnet-4-20250514"), None),
    "claude-sonnet-4-20250514-thinking-32k": (("api", "anthropic", "claude-sonnet-4-20250514"),
                                              "extended thinking, 32k budget: same API model and price"),
    "command-a-03-2025": ("CohereLabs/c4ai-command-a-03-2025", "open weights (CC-BY-NC-4.0); Cohere's API price "
                                                               "is not in the dataset"),
    "deepseek-r1-0528": ("deepseek-ai/DeepSeek-R1-0528", None),
    "deepseek-v3-0324": ("deepseek-ai/DeepSeek-V3-0324", None),
    "gemini-2.0-flash-001": (("api", "google", "gemini-2.0-flash"), None),
    "gemini-2.0-flash-thinking-exp-01-21": (None, "experimental checkpoint, free preview only and since retired; "
                                                  "no price row"),
    "gemini-2.5-flash": (("api", "google", "gemini-2.5-flash"), None),
    "gemini-2.5-flash-lite-preview-06-17-thinking": (None, "preview checkpoint of 2.5 Flash-Lite run with thinking "
                                                           "on; the dataset prices only the GA gemini-2.5-flash-lite"),
    "gemini-2.5-flash-preview-04-17": (None, "first preview of 2.5 Flash, replaced by the GA model (Jun 2025); a "
                                             "different checkpoint from the priced gemini-2.5-flash"),
    "gemini-2.5-pro": (("api", "google", "gemini-2.5-pro"), None),
    "gemini-2.5-pro-preview-03-25": (None, "earlier 2.5 Pro preview checkpoint (retired); the priced ids are the "
                                           "GA model and preview-06-05"),
    "gemini-2.5-pro-preview-05-06": (None, "earlier 2.5 Pro preview checkpoint (retired); the priced ids are the "
                                           "GA model and preview-06-05"),
    "gemma-3-27b-it": ("google/gemma-3-27b-it", None),
    "gemma-3n-e4b-it": (None, "open weights google/gemma-3n-E4B-it, not in the catalog"),
    "gpt-4.1-2025-04-14": (("api", "openai", "gpt-4.1-2025-04-14"), None),
    "gpt-4.1-mini-2025-04-14": (("api", "openai", "gpt-4.1-mini-2025-04-14"), None),
    "gpt-4o-2024-11-20": (None, "an API snapshot the dataset does not price (it has gpt-4o-2024-05-13 and -08-06)"),
    "gpt-4o-mini-2024-07-18": (None, "the dataset records this model's price only from Azure (a reseller), not "
                                     "from OpenAI, so it has no first-party hosted entry"),
    "grok-3-mini-beta": (("api", "xai", "grok-3-mini"), "the beta API id of grok-3-mini"),
    "grok-3-mini-high": (("api", "xai", "grok-3-mini"), "grok-3-mini at reasoning effort 'high'"),
    "grok-3-preview-02-24": (("api", "xai", "grok-3"), "the Grok 3 launch checkpoint (Feb 2025), two months before "
                                                       "the API's grok-3; xAI names no other Grok 3 checkpoint"),
    "grok-4-0709": (("api", "xai", "grok-4"), None),
    "hunyuan-turbos-20250416": (None, "Tencent API model, not in the dataset"),
    "kimi-k2-0711-preview": ("moonshotai/Kimi-K2-Instruct", "Kimi K2 as released on 2025-07-11 (open weights)"),
    "llama-3.3-70b-instruct": ("meta-llama/Llama-3.3-70B-Instruct", None),
    "llama-4-maverick-03-26-experimental": (None, "an unreleased chat-tuned Maverick variant Meta entered on LMArena "
                                                  "before launch; its weights were never published and it is not "
                                                  "Llama-4-Maverick-17B-128E-Instruct"),
    "llama-4-maverick-17b-128e-instruct": ("meta-llama/Llama-4-Maverick-17B-128E-Instruct", None),
    "llama-4-scout-17b-16e-instruct": ("meta-llama/Llama-4-Scout-17B-16E-Instruct", None),
    "magistral-medium-2506": (None, "Mistral API-only model; the dataset has no price row for it"),
    "minimax-m1": (None, "open weights (MiniMaxAI/MiniMax-M1-40k or -80k, the arena name does not say which), not "
                         "in the catalog"),
    "mistral-medium-2505": (None, "Mistral API-only model; the dataset has no price row for it"),
    "mistral-small-2506": ("mistralai/Mistral-Small-3.2-24B-Instruct-2506", "Mistral Small 3.2"),
    "mistral-small-3.1-24b-instruct-2503": ("mistralai/Mistral-Small-3.1-24B-Instruct-2503", None),
    "o3-2025-04-16": (("api", "openai", "o3-2025-04-16"), None),
    "o3-mini": (("api", "openai", "o3-mini"), "default (medium) reasoning effort"),
    "o4-mini-2025-04-16": (("api", "openai", "o4-mini"), None),
    "qwen-max-2025-01-25": (None, "Alibaba Cloud API model (Qwen2.5-Max), not in the dataset"),
    "qwen3-235b-a22b": ("Qwen/Qwen3-235B-A22B", "hybrid model in its default thinking mode"),
    "qwen3-235b-a22b-instruct-2507": ("Qwen/Qwen3-235B-A22B-Instruct-2507", None),
    "qwen3-235b-a22b-no-thinking": ("Qwen/Qwen3-235B-A22B", "the same weights as qwen3-235b-a22b with thinking "
                                                            "switched off (/no_think); rate the two modes apart"),
    "qwen3-30b-a3b": ("Qwen/Qwen3-30B-A3B", "hybrid model in its default thinking mode"),
    "qwen3-coder-480b-a35b-instruct": ("Qwen/Qwen3-Coder-480B-A35B-Instruct", None),
    "qwq-32b": ("Qwen/QwQ-32B", None),
}

ModelRow = dict[str, Any]


class Mirror:
    """Reads files of one revision of the dataset's git repository."""

    def __init__(self, repo: Path, rev: str) -> None:
        self.repo, self.rev = repo, rev

    def _git(self, *args: str) -> str:
        return subprocess.run(["git", "-C", str(self.repo), *args], capture_output=True, text=True,
                              check=True).stdout

    def commit_info(self) -> tuple[str, str]:
        out = self._git("log", "-1", "--format=%H %cs", self.rev).split()
        return out[0], out[1]

    def list(self, prefix: str) -> list[str]:
        return sorted(self._git("ls-tree", "-r", "--name-only", self.rev, prefix).split())

    def json(self, path: str) -> Any:
        return json.loads(self._git("show", f"{self.rev}:{path}"))


def load_dataset(mirror: Mirror) -> tuple[dict[str, ModelRow], dict[str, dict], list[ModelRow]]:
    """Model cards (org/model_id -> model.json), providers (id -> provider.json) and all provider price rows."""
    models: dict[str, ModelRow] = {}
    for path in mirror.list("data/organizations"):
        parts = path.split("/")
        if len(parts) == 6 and parts[5] == "model.json":
            models[f"{parts[2]}/{parts[4]}"] = mirror.json(path)
    providers: dict[str, dict] = {}
    rows: list[ModelRow] = []
    for path in mirror.list("data/providers"):
        parts = path.split("/")
        if parts[-1] == "provider.json":
            providers[parts[2]] = mirror.json(path)
        elif parts[-1] == "models.json":
            rows.extend(mirror.json(path))
    rows.sort(key=lambda r: (r["provider_id"], r["model_id"]))
    return models, providers, rows


# API models that reason before answering by default (their makers' model pages call them reasoning or thinking
# models): OpenAI o-series and GPT-5, Gemini 2.5, Grok 4 and Grok 3 mini, DeepSeek's reasoner, Magistral.
REASONING_API = re.compile(r"^(o\d|gpt-5(?!-chat)|gemini-2\.5|grok-4|grok-3-mini|deepseek-reasoner|magistral)")


def weights_of(key: str, catalog: set[str]) -> tuple[str | None, str]:
    """(HF repo id or None, kind) for a dataset model: kind is 'open', 'open-missing' (not a catalog id) or 'api'."""
    if key not in OPEN_WEIGHTS:
        return None, "api"
    repo = OPEN_WEIGHTS[key]
    return repo, "open" if repo in catalog or repo in PENDING else "open-missing"


def release_date(key: str, models: dict[str, ModelRow]) -> str | None:
    if key in RELEASE_DATE_FIX:
        return RELEASE_DATE_FIX[key][0]
    return models[key].get("release_date")


def build_hosted(models: dict[str, ModelRow], providers: dict[str, dict], rows: list[ModelRow],
                 catalog: dict[str, Any]) -> tuple[list[dict], Counter, dict[str, list[str]], set[str]]:
    """The hosted entries, skip counts by reason, skipped examples, and the pending catalog ids used."""
    entries: list[dict] = []
    skipped: Counter = Counter()
    examples: dict[str, list[str]] = {}
    pending_used: set[str] = set()

    def skip(reason: str, what: str) -> None:
        skipped[reason] += 1
        examples.setdefault(reason, []).append(what)

    api_keys_seen: set[tuple[str, str]] = set()
    for row in rows:
        provider, model_id = row["provider_id"], row["model_id"]
        key = f"{row['organization_id']}/{model_id}"
        where = f"{provider}/{model_id}"
        if key not in models:
            raise SystemExit(f"{where}: no model card {key} in the dataset")
        if (provider, model_id) in EXCLUDE:
            skip("excluded: implausible price (see EXCLUDE)", where)
            continue
        weights, kind = weights_of(key, set(catalog))
        if (provider, model_id) in ENDPOINT_WEIGHTS_FIX:
            weights, kind = ENDPOINT_WEIGHTS_FIX[(provider, model_id)][0], "open"
        if kind == "open-missing":
            skip("open-weight model not in the catalog", where)
            continue
        if kind == "api" and models[key].get("source_weights_link"):
            raise SystemExit(f"{key} has weights ({models[key]['source_weights_link']}) but no OPEN_WEIGHTS entry")
        if kind == "open":
            assert weights is not None
            if weights not in catalog:
                pending_used.add(weights)
        elif FIRST_PARTY.get(row["organization_id"]) != provider:
            skip("API-only model sold by a reseller, not its maker", where)
            continue
        price_in = row["input_cents_per_million_tokens"] / 100
        price_out = row["output_cents_per_million_tokens"] / 100
        context = int(row["max_input_tokens"])
        max_out = row.get("max_output_tokens")
        notes: list[str] = []
        if max_out is not None and int(max_out) == context:
            max_out = None  # the dataset repeats the context length where the output limit is unknown
        provider_id_used = row.get("provider_model_id_used") or model_id
        aliases = [a for a in [model_id, *EXTRA_IDS.get((provider, model_id), [])] if a != provider_id_used]
        entry: dict[str, Any] = {
            "id": f"{provider}/{provider_id_used}",
            "name": row.get("model_name") or models[key]["name"],
            "provider": provider,
            "maker": row["organization_id"],
            "access": "open-weights" if kind == "open" else "api",
        }
        if kind == "open":
            entry["weights"] = weights
            entry["license"] = catalog[weights].license if weights in catalog else PENDING[weights]
            rd = catalog[weights].release_date.isoformat() if weights in catalog else None
            if (provider, model_id) in ENDPOINT_WEIGHTS_FIX:
                notes.append(ENDPOINT_WEIGHTS_FIX[(provider, model_id)][1])
            if weights not in catalog:
                notes.append("weights id pending in the catalog")
        else:
            api_keys_seen.add((provider, model_id))
            entry["license"] = "proprietary"
            rd = release_date(key, models)
            aliases += ARENA_API.get((provider, model_id), [])
            if (provider, model_id) in API_NOTES:
                notes.append(API_NOTES[(provider, model_id)])
            if key in RELEASE_DATE_FIX:
                notes.append(f"release date: {RELEASE_DATE_FIX[key][1]}")
            if REASONING_API.match(model_id):
                entry["kind"] = "reasoning"
        entry["context"] = context
        if max_out is not None:
            entry["max_output"] = int(max_out)
        entry["price_in_per_mtok"] = round(price_in, 4)
        entry["price_out_per_mtok"] = round(price_out, 4)
        if row.get("quantization"):
            entry["quantization"] = row["quantization"]
        if rd:
            entry["release_date"] = rd
        entry["aliases"] = list(dict.fromkeys(aliases))
        entry["source"] = providers[provider]["website"]
        entry["source_date"] = row["updated_at"][:10]
        if notes:
            entry["notes"] = "; ".join(notes)
        if not entry["aliases"]:
            del entry["aliases"]
        HostedModel.model_validate(entry)
        entries.append(entry)
    # Names must tell entries apart: open endpoints carry their provider, API snapshots sharing a name their id.
    api_names = Counter(e["name"] for e in entries if e["access"] == "api")
    for e in entries:
        if e["access"] == "open-weights":
            e["name"] = f"{e['name']} on {providers[e['provider']]['name']}"
        elif api_names[e["name"]] > 1:
            e["name"] = f"{e['name']} ({e['id'].split('/', 1)[1]})"
    missing = set(ARENA_API) - api_keys_seen
    if missing:
        raise SystemExit(f"ARENA_API names rows that are not hosted entries: {sorted(missing)}")
    ids = Counter(e["id"] for e in entries)
    dup = [i for i, n in ids.items() if n > 1]
    if dup:
        raise SystemExit(f"duplicate hosted ids: {dup}")
    return entries, skipped, examples, pending_used


def arena_names(vote_file: Path, board_file: Path) -> tuple[set[str], set[str]]:
    import pandas as pd  # only this step needs it

    votes = pd.read_parquet(vote_file, columns=["model_a", "model_b"])
    board = pd.read_csv(board_file)
    return set(votes["model_a"]) | set(votes["model_b"]), set(board["model"])


def check_aliases(entries: list[dict], vote_names: set[str], board_names: set[str]) -> None:
    """Every LMArena alias exists in a source, and no LMArena name sits in two entries."""
    known = vote_names | board_names
    owner: dict[str, str] = {}
    for api_key, names in ARENA_API.items():
        for name in names:
            if name not in known:
                raise SystemExit(f"ARENA_API {api_key}: {name!r} is in neither LMArena file")
    for e in entries:
        for name in e.get("aliases", []):
            if name in known:
                if name in owner and owner[name] != e["id"]:
                    raise SystemExit(f"LMArena name {name!r} in two entries: {owner[name]} and {e['id']}")
                owner[name] = e["id"]


def build_arena_file(entries: list[dict], vote_names: set[str], catalog: set[str], commit: str, date: str,
                     pending_used: set[str]) -> tuple[dict, Counter]:
    if set(ARENA_VOTE_NAMES) != vote_names:
        missing, extra = sorted(vote_names - set(ARENA_VOTE_NAMES)), sorted(set(ARENA_VOTE_NAMES) - vote_names)
        raise SystemExit(f"ARENA_VOTE_NAMES differs from the vote file: missing {missing}, extra {extra}")
    by_key = {(e["provider"], a): e for e in entries for a in [e["id"].split("/", 1)[1], *e.get("aliases", [])]}
    names: dict[str, str | None] = {}
    notes: dict[str, str] = {}
    kinds: Counter = Counter()
    for name in sorted(ARENA_VOTE_NAMES, key=str.lower):
        target, note = ARENA_VOTE_NAMES[name]
        if isinstance(target, tuple):
            entry = by_key.get((target[1], target[2]))
            if entry is None:
                raise SystemExit(f"arena name {name}: no hosted entry {target[1]}/{target[2]}")
            if name not in entry.get("aliases", []):
                raise SystemExit(f"arena name {name}: hosted entry {entry['id']} lacks it as an alias")
            names[name] = entry["id"]
            kinds["API model -> hosted.yaml id"] += 1
        elif target is None:
            if not note:
                raise SystemExit(f"arena name {name} maps to nothing without a note")
            names[name] = None
            kinds["no target (see notes)"] += 1
        else:
            if target not in catalog and target not in PENDING:
                raise SystemExit(f"arena name {name}: {target} is neither a catalog id nor PENDING")
            if target not in catalog:
                pending_used.add(target)
            names[name] = target
            kinds["open weights -> catalog id"] += 1
        if note:
            notes[name] = note
    body = {
        "source": (f"model names of LMArena's arena-human-preference-140k votes (2025-04..07, the 53 rated models); "
                   f"API models resolve to their hosted.yaml entry, built from the {DATASET} @{commit[:7]}, "
                   f"{date}, CC-BY-4.0)"),
        "names": names,
        "notes": notes,
    }
    return body, kinds


def comment_block(paragraphs: list[str]) -> str:
    """YAML comment lines, each paragraph wrapped at 118 characters."""
    lines: list[str] = []
    for para in paragraphs:
        lines += textwrap.wrap(para, 116, break_on_hyphens=False, break_long_words=False) or [""]
    return "".join(f"# {line}\n" for line in lines)


def dump(body: dict) -> str:
    return yaml.safe_dump(body, sort_keys=False, allow_unicode=True, width=110)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("mirror", type=Path, help="git clone or mirror of JonathanChavezTamales/llm-leaderboard")
    ap.add_argument("--rev", default=PINNED_REV, help="dataset revision (default: the reviewed one)")
    shared = paths.shared_data_dir()
    ap.add_argument("--arena-votes", type=Path,
                    default=shared / "arena" / "arena_hp140k_votes.parquet" if shared else None)
    ap.add_argument("--arena-board", type=Path,
                    default=shared / "leaderboards" / "lmarena_text_2025-08-06.csv" if shared else None)
    args = ap.parse_args()
    if args.arena_votes is None or args.arena_board is None:
        raise SystemExit("LMArena files not found; pass --arena-votes and --arena-board")
    mirror = Mirror(args.mirror, args.rev)
    commit, date = mirror.commit_info()
    models, providers, rows = load_dataset(mirror)
    catalog = load_models()
    entries, skipped, examples, pending_used = build_hosted(models, providers, rows, catalog)
    vote_names, board_names = arena_names(args.arena_votes, args.arena_board)
    check_aliases(entries, vote_names, board_names)
    arena_body, arena_kinds = build_arena_file(entries, vote_names, set(catalog), commit, date, pending_used)

    entries.sort(key=lambda e: (e["access"] != "api", e["provider"], e["id"].lower()))
    by_access = Counter((e["access"], e["provider"]) for e in entries)
    counts = ", ".join(f"{a} {p} {n}" for (a, p), n in sorted(by_access.items()))
    header = comment_block([
        f"Hosted models: per-token prices, context and terms. GENERATED by scripts/build_hosted.py from the "
        f"{DATASET}, commit {commit}, {date}; CC-BY-4.0, attribution required); do not edit.",
        "Kept: (1) API-only models from their maker's own API (first party: OpenAI, Anthropic, Google, xAI, Mistral, "
        "Amazon via Bedrock); (2) endpoints, from any provider, of open-weight models in the catalog"
        + (f", plus ids not in the catalog yet: {', '.join(sorted(pending_used))}." if pending_used else "."),
        "Prices: the dataset's cents per 1M tokens / 100. max_output is left out where the dataset repeats the context "
        "length (its placeholder for an unknown limit). license: 'proprietary' for API terms, the open model's catalog "
        "license for endpoints. aliases: the provider's ids and, on API entries only, every LMArena name (vote file "
        "and text board) meaning that model; open-weight arena names resolve through arena_names.yaml to the catalog "
        "id instead, since one open model has many endpoints. source: the provider's website as the dataset records "
        "it; source_date: the row's updated_at.",
        f"Entries: {len(entries)} ({counts}).",
        *(f"Left out, {reason}: {n} ({', '.join(examples[reason])})" for reason, n in sorted(skipped.items())),
        *(f"Excluded {p}/{m}: {why}" for (p, m), why in sorted(EXCLUDE.items())),
        "Not in the dataset at all: OpenAI's own gpt-4o-mini price (Azure only), Moonshot's API, Cohere's Command A "
        "and R+ 08-2024 prices, Gemini 2.5 Flash-Lite previews, Magistral Medium, Mistral Medium 3.",
    ])
    body = {
        "source": (f"{DATASET}, commit {commit}, {date}; CC-BY-4.0, attribution required): prices are the providers' "
                   f"list prices as recorded there (USD per 1M tokens), with context and output limits"),
        "source_date": date,
        "models": entries,
    }
    (DATA / "hosted.yaml").write_text(header + dump(body), encoding="utf-8")
    arena_header = comment_block([
        "LMArena model names (arena-human-preference-140k vote file) -> what they mean in shortlist: a catalog HF id "
        "(open weights), a hosted.yaml id (API-only models) or null (reason in notes). GENERATED by "
        f"scripts/build_hosted.py; do not edit. {len(arena_body['names'])} names: "
        + ", ".join(f"{k} {n}" for k, n in sorted(arena_kinds.items())) + ".",
    ])
    (DATA / "arena_names.yaml").write_text(arena_header + dump(arena_body), encoding="utf-8")
    print(f"wrote {DATA / 'hosted.yaml'}: {len(entries)} entries ({counts})", file=sys.stderr)
    for reason, n in sorted(skipped.items()):
        print(f"  skipped {n}: {reason}", file=sys.stderr)
    print(f"wrote {DATA / 'arena_names.yaml'}: {dict(arena_kinds)}", file=sys.stderr)
    print(f"pending catalog ids referenced: {sorted(pending_used)}", file=sys.stderr)


if __name__ == "__main__":
    main()

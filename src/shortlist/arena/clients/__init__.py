"""Chat clients for arena contestants: OpenAI-compatible servers over HTTP, GGUF and Hugging Face models in process.

The arena has its own small clients rather than the evaluate backends: it needs streamed chat answers
with timing, which scoring does not, and arena and evaluate are siblings that do not import each other.
"""

from __future__ import annotations

from shortlist.arena.clients.base import Answer, ChatClient, Chunk, ClientError, run_answer
from shortlist.arena.contestants import parse_spec
from shortlist.errors import BadInput


def client_for(spec: str, api_key_env: str | None = None) -> ChatClient:
    """The client that runs a contestant spec (see contestants.parse_spec)."""
    parsed = parse_spec(spec)
    if parsed.kind == "openai":
        from shortlist.arena.clients.openai_chat import OpenAIChatClient

        assert parsed.url is not None
        return OpenAIChatClient(parsed.target, parsed.url, api_key_env)
    if parsed.kind == "llamacpp":
        from shortlist.arena.clients.local import LlamaCppClient

        return LlamaCppClient(parsed.target)
    if parsed.kind == "hf":
        from shortlist.arena.clients.local import HFClient

        return HFClient(parsed.target)
    raise BadInput(f"contestant {spec} was imported with its votes and cannot answer", "add a runnable model")


__all__ = ["Answer", "ChatClient", "Chunk", "ClientError", "client_for", "run_answer"]

"""Facts of the Llama, Mistral, Mixtral, Gemma and Phi catalog files, checked against published figures.

Expected numbers here come from the Hugging Face Hub (safetensors totals, index total_size) or are
worked out by hand from the vision configs; none is read back from the catalog itself.
"""

from __future__ import annotations

import pytest

from shortlist.catalog.loader import load_models
from shortlist.fit.params import count_params
from shortlist.names import normalize

MODELS = load_models()

FAMILY_SIZES = {
    "llama2": 6, "llama3": 4, "llama3.1": 6, "llama3.2": 4, "llama3.3": 1, "llama4": 4,
    "mistral": 19, "mixtral": 4, "gemma": 4, "gemma2": 6, "gemma3": 8, "phi": 12,
}
MINE = {k: m for k, m in MODELS.items() if m.family in FAMILY_SIZES}


def test_family_sizes():
    counts = {f: sum(1 for m in MINE.values() if m.family == f) for f in FAMILY_SIZES}
    assert counts == FAMILY_SIZES


# Published totals: Hub safetensors totals / index total_size divided by bytes per parameter.
@pytest.mark.parametrize(
    ("model_id", "total"),
    [
        ("meta-llama/Llama-2-70b-hf", 68_976_648_192),
        ("meta-llama/Llama-3.1-70B-Instruct", 70_553_706_496),
        ("meta-llama/Llama-3.1-405B", 405_853_388_800),
        ("meta-llama/Llama-3.2-1B-Instruct", 1_235_814_400),
        ("meta-llama/Llama-3.2-3B-Instruct", 3_212_749_824),
        ("meta-llama/Llama-4-Scout-17B-16E-Instruct", 108_641_793_536),
        ("meta-llama/Llama-4-Maverick-17B-128E-Instruct", 401_583_781_376),
        ("mistralai/Mistral-7B-v0.3", 7_248_023_552),
        ("mistralai/Mistral-Nemo-Instruct-2407", 12_247_782_400),
        ("mistralai/Mistral-Small-24B-Instruct-2501", 23_572_403_200),
        ("mistralai/Mistral-Small-3.1-24B-Instruct-2503", 24_011_361_280),
        ("mistralai/Mixtral-8x22B-v0.1", 140_620_634_112),
        ("mistralai/Mixtral-8x22B-Instruct-v0.1", 140_630_071_296),
        ("google/gemma-2b", 2_506_172_416),
        ("google/gemma-7b-it", 8_537_680_896),
        ("google/gemma-2-2b-it", 2_614_341_888),
        ("google/gemma-2-27b", 27_227_128_320),
        ("google/gemma-3-1b-it", 999_885_952),
        ("google/gemma-3-4b-it", 4_300_079_472),
        ("google/gemma-3-12b-it", 12_187_325_040),
        ("google/gemma-3-27b-it", 27_432_406_640),
        ("microsoft/phi-2", 2_779_683_840),
        ("microsoft/Phi-3.5-mini-instruct", 3_821_079_552),
        ("microsoft/Phi-3-medium-4k-instruct", 13_960_238_080),
        ("microsoft/phi-4", 14_659_507_200),
        ("microsoft/Phi-4-mini-instruct", 3_836_021_760),
    ],
)
def test_published_totals(model_id, total):
    assert MODELS[model_id].params_total == total
    assert count_params(MODELS[model_id]).total == total


def test_llama2_index_total_size_includes_rotary_buffers():
    # Llama-2-7b-hf's index reports 13,476,839,424 bytes: fp16 weights plus 32 layers x 64 fp32 inv_freq.
    spec = MODELS["meta-llama/Llama-2-7b-hf"]
    assert 2 * spec.params_total + 32 * 64 * 4 == 13_476_839_424


def _siglip_so400m_896() -> int:
    h, inter, layers, patch, positions = 1152, 4304, 27, 14, (896 // 14) ** 2
    per_layer = 4 * (h * h + h) + (h * inter + inter) + (inter * h + h) + 2 * 2 * h
    return 3 * patch * patch * h + h + positions * h + layers * per_layer + 2 * h


def _llama4_vision(text_hidden: int) -> int:
    h, inter, layers, patches = 1408, 5632, 34, (336 // 14) ** 2
    per_layer = 4 * (h * h + h) + (h * inter + inter) + (inter * h + h) + 2 * 2 * h
    encoder = 3 * 14 * 14 * h + h + (patches + 1) * h + 2 * (2 * h) + layers * per_layer
    adapter = 4 * h * 4096 + 4096 * 4096  # pixel shuffle (ratio 0.5) then two bias-free linears
    return encoder + adapter + 4096 * text_hidden


def _pixtral_mistral31() -> int:
    h, inter, layers = 1024, 4096, 24
    encoder = 3 * 14 * 14 * h + h + layers * (4 * h * h + 3 * h * inter + 2 * h)
    projector = h + 4 * h * h + h * 5120 + 5120 * 5120  # norm, patch merger, two linears
    return encoder + projector


@pytest.mark.parametrize(
    ("model_id", "expected"),
    [
        ("google/gemma-3-4b-pt", _siglip_so400m_896() + 1152 + 1152 * 2560),
        ("google/gemma-3-12b-it", _siglip_so400m_896() + 1152 + 1152 * 3840),
        ("google/gemma-3-27b-pt", _siglip_so400m_896() + 1152 + 1152 * 5376),
        ("meta-llama/Llama-4-Scout-17B-16E", _llama4_vision(5120)),
        ("meta-llama/Llama-4-Maverick-17B-128E-Instruct", _llama4_vision(5120)),
        ("mistralai/Mistral-Small-3.1-24B-Base-2503", _pixtral_mistral31()),
    ],
)
def test_vision_tower_extra_matches_vision_config(model_id, expected):
    spec = MODELS[model_id]
    assert spec.params_extra == expected
    assert spec.params_extra_reason


@pytest.mark.parametrize(
    ("model_id", "window", "layers"),
    [
        ("google/gemma-3-1b-pt", 512, sum(1 for i in range(26) if (i + 1) % 6)),
        ("google/gemma-3-4b-it", 1024, sum(1 for i in range(34) if (i + 1) % 6)),
        ("google/gemma-3-12b-pt", 1024, sum(1 for i in range(48) if (i + 1) % 6)),
        ("google/gemma-3-27b-it", 1024, sum(1 for i in range(62) if (i + 1) % 6)),
        ("google/gemma-2-9b-it", 4096, 21),
        ("mistralai/Mistral-7B-v0.1", 4096, 32),
        ("meta-llama/Llama-4-Scout-17B-16E", 8192, 36),
    ],
)
def test_sliding_window_layout(model_id, window, layers):
    spec = MODELS[model_id]
    assert (spec.sliding_window, spec.sliding_window_layers) == (window, layers)


@pytest.mark.parametrize(
    "model_id",
    ["mistralai/Mistral-7B-v0.3", "mistralai/Mistral-7B-Instruct-v0.2", "mistralai/Mixtral-8x7B-v0.1",
     "meta-llama/Llama-3.1-8B", "microsoft/Phi-3-mini-128k-instruct", "microsoft/phi-4"],
)
def test_no_sliding_window(model_id):
    assert MODELS[model_id].sliding_window is None
    assert MODELS[model_id].sliding_window_layers == 0


def test_maverick_alternates_dense_and_moe_layers():
    # Maverick: MoE on the odd-numbered layers only; 24 of 48 layers carry 128 experts.
    spec = MODELS["meta-llama/Llama-4-Maverick-17B-128E"]
    assert spec.moe is not None and spec.moe.layer_step == 2 and spec.moe.experts == 128
    dense = 3 * 5120 * 16384
    routed = 3 * 5120 * 8192
    moe_layer = 5120 * 128 + 128 * routed + routed  # router, experts, shared expert
    assert count_params(spec).mlp == 24 * dense + 24 * moe_layer


_ARCH_FIELDS = ("architecture", "layers", "hidden_size", "intermediate_size", "attention_heads",
                "kv_heads", "head_dim", "tied_embeddings", "moe", "params_extra")


@pytest.mark.parametrize("model_id", sorted(k for k, m in MINE.items() if m.base_model))
def test_instruct_models_share_their_base_architecture(model_id):
    spec = MINE[model_id]
    base = MODELS[spec.base_model]
    assert base.kind == "base"
    assert [getattr(spec, f) for f in _ARCH_FIELDS] == [getattr(base, f) for f in _ARCH_FIELDS]


def test_aliases_do_not_collide_with_any_catalog_name():
    owner: dict[str, str] = {}
    for key, spec in MODELS.items():
        owner.setdefault(normalize(key), key)
        if key not in MINE:
            for alias in spec.aliases:
                owner.setdefault(normalize(alias), key)
    for key, spec in MINE.items():
        for alias in spec.aliases:
            seen = owner.setdefault(normalize(alias), key)
            assert seen == key, f"alias {alias!r} of {key} collides with {seen}"


def test_licenses_and_gating_by_family():
    expected = {"llama2": "llama2", "llama3": "llama3", "llama3.1": "llama3.1", "llama3.2": "llama3.2",
                "llama3.3": "llama3.3", "llama4": "llama4", "gemma": "gemma", "gemma2": "gemma",
                "gemma3": "gemma", "phi": "mit", "mixtral": "apache-2.0"}
    for spec in MINE.values():
        if spec.family in expected:
            assert spec.license == expected[spec.family], spec.id
        if spec.family.startswith(("llama", "gemma")):
            assert spec.gated, spec.id
    research = {k for k, m in MINE.items() if m.license == "mrl"}
    assert research == {"mistralai/Mistral-Small-Instruct-2409", "mistralai/Mistral-Large-Instruct-2407",
                        "mistralai/Mistral-Large-Instruct-2411"}

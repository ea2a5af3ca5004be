"""Published speed measurements that bench/speed_accuracy.py calibrates and validates shortlist.fit's speed model on.

Every point keeps the line it was read from (`quote`, the table row or sentence as published) and a SOURCES key
naming where and how it was measured. `metric` is decode (tokens/s of one sequence) or prefill (prompt tokens/s);
`context` is the tokens in the KV cache the number describes (decode: the average over the generated tokens;
prefill: the prompt length). `exclude` keeps a point out of both halves, with the reason, when the source itself
shows it is broken (a row that contradicts the rest of its own table).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

SOURCES = {
    "XD": "https://github.com/XiongjieDai/GPU-Benchmarks-on-LLM-Inference README (commit aa72e0e, 2024-05-12): "
          "llama.cpp (make LLAMA_CUBLAS=1 / Metal, -ngl 10000, default layer split across cards), Meta-Llama-3 "
          "8B/70B Q4_K_M and F16 GGUF; 'Average speed (tokens/s) of generating 1024 tokens' after a 258-token "
          "prompt (the notebooks' 'eval time ... / 258 tokens'), and 'Average 1024 tokens prompt eval speed'.",
    "GIST4167": "https://gist.github.com/andrewginns/cf95867c2d79458bd894c07b9e7d5cbd 'Based on "
                "ggerganov/llama.cpp#4167': llama-bench at commit 8e672ef, LLaMA 7B v2 F16/Q8_0/Q4_0, '-p 512 -n 128 "
                "-ngl 99'; 'PP means \"prompt processing\" (bs = 512), TG means \"text-generation\" (bs = 1)'.",
    "SH1NG": "https://github.com/sh1ng/llm-perf-bench README (llama.cpp commit 9476b01 2023-10-02, vLLM acbed3e "
             "2023-10-06): 'decoding 256 tokens with a prompt \"What is the meaning of life?\"', 'all numbers are "
             "based on PCIe, not NVLink'; llama.cpp TheBloke Q4_0 GGUFs, vLLM fp16 and AWQ, batch size 1, "
             "tensor parallel over the cards.",
    "GEERLING": "https://github.com/geerlingguy/ai-benchmarks README 'Findings' (commit bdf9441): Ollama eval rate "
                "(tokens/s of generation, Ollama's default Q4_K_M tags; gpt-oss:20b is MXFP4) on each system; rows "
                "marked Vulkan (footnote 1) left out, as they run a GPU from a Raspberry Pi host.",
    "LHL": "https://github.com/lhl/strix-halo-testing llm-bench/*/README.md (commit 5ee14b5): llama-bench pp512 / "
           "tg128 on an AMD Ryzen AI Max+ 395 (Strix Halo) 128GB LPDDR5x-8000, ROCm HIP backend with hipBLASLt.",
    "MUSGRAVE": "https://johnmusgrave.com/p/vllm-throughput-latency-sweep-on: vLLM 0.23.0, meta-llama/Llama-3.1-8B-"
                "Instruct BF16 on one A100 40GB, 'fixed 1024-token input and a fixed 128-token output'.",
    "WMX": "https://ai.wmx.dev/benchmarks: vLLM v0.23.0 (V1 engine), Qwen/Qwen2.5-0.5B-Instruct BF16 on 1x NVIDIA "
           "L4, '256-token input / 128-token output', closed-loop concurrency sweep (vllm bench serve).",
}

L3_8B, L3_70B = "meta-llama/Meta-Llama-3-8B-Instruct", "meta-llama/Meta-Llama-3-70B-Instruct"
L2_7B, L2_13B, L2_70B = "meta-llama/Llama-2-7b-hf", "meta-llama/Llama-2-13b-hf", "meta-llama/Llama-2-70b-hf"


@dataclass(frozen=True)
class SpeedPoint:
    label: str
    source: str
    metric: str  # "decode" | "prefill"
    measured: float  # tokens/s
    model: str
    gpu: str
    precision: str
    runtime: str
    context: int
    quote: str
    gpus: int = 1
    exclude: str | None = None


XD_DECODE_ROWS = (
    '| 3070 8GB                   | 70.94     | OOM    | OOM        | OOM     |',
    '| 3080 10GB                  | 106.40    | OOM    | OOM        | OOM     |',
    '| 3080 Ti 12GB               | 106.71    | OOM    | OOM        | OOM     |',
    '| 4070 Ti 12GB               | 82.21     | OOM    | OOM        | OOM     |',
    '| 4080 16GB                  | 106.22    | 40.29  | OOM        | OOM     |',
    '| RTX 4000 Ada 20GB          | 58.59     | 20.85  | OOM        | OOM     |',
    '| 3090 24GB                  | 111.74    | 46.51  | OOM        | OOM     |',
    '| 4090 24GB                  | 127.74    | 54.34  | OOM        | OOM     |',
    '| RTX 5000 Ada 32GB          | 89.87     | 32.67  | OOM        | OOM     |',
    '| 3090 24GB * 2              | 108.07    | 47.15  | 16.29      | OOM     |',
    '| 4090 24GB * 2              | 122.56    | 53.27  | 19.06      | OOM     |',
    '| RTX A6000 48GB             | 102.22    | 40.25  | 14.58      | OOM     |',
    '| RTX 6000 Ada 48GB          | 130.99    | 51.97  | 18.36      | OOM     |',
    '| A40 48GB                   | 88.95     | 33.95  | 12.08      | OOM     |',
    '| L40S 48GB                  | 113.60    | 43.42  | 15.31      | OOM     |',
    '| RTX 4000 Ada 20GB * 4      | 56.14     | 20.58  | 7.33       | OOM     |',
    '| A100 PCIe 80GB             | 138.31    | 54.56  | 22.11      | OOM     |',
    '| A100 SXM 80GB              | 133.38    | 53.18  | 24.33      | OOM     |',
    '| H100 PCIe 80GB             |**144.49**|**67.79**| 25.01      | OOM     |',
    '| 3090 24GB * 4              | 104.94    | 46.40  | 16.89      | OOM     |',
    '| 4090 24GB * 4              | 117.61    | 52.69  | 18.83      | OOM     |',
    '| RTX 5000 Ada 32GB * 4      | 82.73     | 31.94  | 11.45      | OOM     |',
    '| 3090 24GB * 6              | 101.07    | 45.55  | 16.93      | 5.82    |',
    '| 4090 24GB * 8              | 116.13    | 52.12  | 18.76      | 6.45    |',
    '| RTX A6000 48GB * 4         | 93.73     | 38.87  | 14.32      | 4.74    |',
    '| RTX 6000 Ada 48GB * 4      | 118.99    | 50.25  | 17.96      | 6.06    |',
    '| A40 48GB * 4               | 83.79     | 33.28  | 11.91      | 3.98    |',
    '| L40S 48GB * 4              | 105.72    | 42.48  | 14.99      | 5.03    |',
    '| A100 PCIe 80GB * 4         | 117.30    | 51.54  | 22.68      | 7.38    |',
    '| A100 SXM 80GB * 4          | 97.70     | 45.45  | 19.60      | 6.92    |',
    '| H100 PCIe 80GB * 4         | 118.14    | 62.90  | **26.20**  | **9.63**|',
    '| M1 7‑Core GPU 8GB          | 9.72      | OOM    | OOM        | OOM     |',
    '| M1 Max 32‑Core GPU 64GB    | 34.49     | 18.43  | 4.09       | OOM     |',
    '| M2 Ultra 76-Core GPU 192GB | 76.28     | 36.25  | 12.13      | 4.71    |',
    '| M3 Max 40‑Core GPU 64GB    | 50.74     | 22.39  | 7.53       | OOM     |',
)
XD_PREFILL_ROWS = (
    '| 3070 8GB                   | 2283.62   | OOM     | OOM        | OOM     |',
    '| 3080 10GB                  | 3557.02   | OOM     | OOM        | OOM     |',
    '| 3080 Ti 12GB               | 3556.67   | OOM     | OOM        | OOM     |',
    '| 4070 Ti 12GB               | 3653.07   | OOM     | OOM        | OOM     |',
    '| 4080 16GB                  | 5064.99   | 6758.90 | OOM        | OOM     |',
    '| RTX 4000 Ada 20GB          | 2310.53   | 2951.87 | OOM        | OOM     |',
    '| 3090 24GB                  | 3865.39   | 4239.64 | OOM        | OOM     |',
    '| 4090 24GB                  | 6898.71   | 9056.26 | OOM        | OOM     |',
    '| RTX 5000 Ada 32GB          | 4467.46   | 5835.41 | OOM        | OOM     |',
    '| 3090 24GB * 2              | 4004.14   | 4690.50 | 393.89     | OOM     |',
    '| 4090 24GB * 2              | 8545.00   | 11094.51| 905.38     | OOM     |',
    '| RTX A6000 48GB             | 3621.81   | 4315.18 | 466.82     | OOM     |',
    '| RTX 6000 Ada 48GB          | 5560.94   | 6205.44 | 547.03     | OOM     |',
    '| A40 48GB                   | 3240.95   | 4043.05 | 239.92     | OOM     |',
    '| L40S 48GB                  | 5908.52   | 2491.65 | 649.08     | OOM     |',
    '| RTX 4000 Ada 20GB * 4      | 3369.24   | 4366.64 | 306.44     | OOM     |',
    '| A100 PCIe 80GB             | 5800.48   | 7504.24 | 726.65     | OOM     |',
    '| A100 SXM 80GB              | 5863.92   | 681.47  | 796.81     | OOM     |',
    '| H100 PCIe 80GB             | 7760.16   | 10342.63| 984.06     | OOM     |',
    '| 3090 24GB * 4              | 4653.93   | 5713.41 | 350.06     | OOM     |',
    '| 4090 24GB * 4              | 9609.29   | 12304.19| 898.17     | OOM     |',
    '| RTX 5000 Ada 32GB * 4      | 6530.78   | 2877.66 | 541.54     | OOM     |',
    '| 3090 24GB * 6              | 5153.05   | 5952.55 | 739.40     | 927.23  |',
    '| 4090 24GB * 8              | 9706.82   | 11818.92| **1336.26**| 1890.48 |',
    '| RTX A6000 48GB * 4         | 5340.10   | 6448.85 | 539.20     | 792.23  |',
    '| RTX 6000 Ada 48GB * 4      | 9679.55   | 12637.94| 714.93     | 1270.39 |',
    '| A40 48GB * 4               | 4841.98   | 5931.06 | 263.36     | 900.79  |',
    '| L40S 48GB * 4              | 9008.27   | 2541.61 | 634.05     | 1478.83 |',
    '| A100 PCIe 80GB * 4         | 8889.35   | 11670.74| 978.06     | 1733.41 |',
    '| A100 SXM 80GB * 4          | 7782.25   | 674.11  | 539.08     | 1834.16 |',
    '| H100 PCIe 80GB * 4         |**11560.23**|**15612.81**|1133.23|**2420.10**|',
    '| M1 7‑Core GPU 8GB          | 87.26     | OOM     | OOM        | OOM     |',
    '| M1 Max 32‑Core GPU 64GB    | 355.45    | 418.77  | 33.01      | OOM     |',
    '| M2 Ultra 76-Core GPU 192GB | 1023.89   | 1202.74 | 117.76     | 145.82  |',
    '| M3 Max 40‑Core GPU 64GB    | 678.04    | 751.49  | 62.88      | OOM     |',
)
# The table's device names -> catalog GPUs. The M1 row is the 7-core-GPU MacBook Air: the catalog's M1 entry has
# the same 68.25 GB/s memory (its 8-core GPU matters for prefill only).
XD_DEVICES = {
    "3070 8GB": "RTX 3070", "3080 10GB": "RTX 3080 10GB", "3080 Ti 12GB": "RTX 3080 Ti", "4070 Ti 12GB": "RTX 4070 Ti",
    "4080 16GB": "RTX 4080", "RTX 4000 Ada 20GB": "RTX 4000 Ada", "3090 24GB": "RTX 3090", "4090 24GB": "RTX 4090",
    "RTX 5000 Ada 32GB": "RTX 5000 Ada", "RTX A6000 48GB": "RTX A6000", "RTX 6000 Ada 48GB": "RTX 6000 Ada",
    "A40 48GB": "A40", "L40S 48GB": "L40S", "A100 PCIe 80GB": "A100 80GB PCIe", "A100 SXM 80GB": "A100 80GB",
    "H100 PCIe 80GB": "H100 PCIe", "M1 7‑Core GPU 8GB": "MacBook Air M1 16GB", "M1 Max 32‑Core GPU 64GB": "M1 Max 64GB",
    "M2 Ultra 76-Core GPU 192GB": "M2 Ultra 192GB", "M3 Max 40‑Core GPU 64GB": "M3 Max 64GB",
}
XD_COLUMNS = ((L3_8B, "q4_k_m"), (L3_8B, "f16"), (L3_70B, "q4_k_m"), (L3_70B, "f16"))
# 8B cells the table itself contradicts: F16 prompt processing below the same card's Q4_K_M figure by 2.4-11x, while
# every other card in the table runs F16 faster than Q4_K_M (a cuBLAS fallback or a broken run, not the hardware).
XD_BROKEN = {("L40S 48GB", "f16", "prefill"), ("A100 SXM 80GB", "f16", "prefill"), ("L40S 48GB * 4", "f16", "prefill"),
             ("A100 SXM 80GB * 4", "f16", "prefill"), ("RTX 5000 Ada 32GB * 4", "f16", "prefill")}


def _xd_points() -> list[SpeedPoint]:
    out: list[SpeedPoint] = []
    for metric, rows, context in (("decode", XD_DECODE_ROWS, 258 + 512), ("prefill", XD_PREFILL_ROWS, 1024)):
        for row in rows:
            cells = [c.strip().strip("*").strip() for c in row.strip("|").split("|")]
            name, values = cells[0], cells[1:]
            m = re.match(r"^(.*?)(?:\s*\*\s*(\d+))?$", name)
            assert m is not None
            base, gpus = m.group(1).strip(), int(m.group(2) or 1)
            for (model, precision), value in zip(XD_COLUMNS, values, strict=True):
                if value == "OOM":
                    continue
                broken = model == L3_8B and (name, precision, metric) in XD_BROKEN
                out.append(SpeedPoint(
                    label=f"{name} {'8B' if model == L3_8B else '70B'} {precision} {metric}", source="XD",
                    metric=metric, measured=float(value), model=model, gpu=XD_DEVICES[base], precision=precision,
                    runtime="llama.cpp", context=context, quote=row, gpus=gpus,
                    exclude="F16 prefill below this card's own Q4_K_M figure, unlike every other row" if broken
                    else None))
    return out


GIST_ROWS = (  # | device | BW | GPU cores | F16 PP | F16 TG | Q8_0 PP | Q8_0 TG | Q4_0 PP | Q4_0 TG |
    ("✅ M1 Pro 16GB | 200 | 14 | 262.65 | 12.75 | 235.16 | 21.95 | 232.55 | 35.52 |", "M1 Pro 32GB"),
    ("✅ M3 Pro 36GB | 150 | 18 | 357.45 | 9.89 | 344.66 | 17.53 | 341.67 | 30.74 |", "M3 Pro 36GB"),
)


def _gist_points() -> list[SpeedPoint]:
    out: list[SpeedPoint] = []
    for row, gpu in GIST_ROWS:
        cells = [c.strip() for c in row.split("|")]
        values = [float(c) for c in cells[3:9]]
        for i, precision in enumerate(("f16", "q8_0", "q4_0")):
            pp, tg = values[2 * i], values[2 * i + 1]
            out.append(SpeedPoint(f"{cells[0][2:]} LLaMA-2-7B {precision} pp512", "GIST4167", "prefill", pp, L2_7B, gpu,
                                  precision, "llama.cpp", 512, row))
            out.append(SpeedPoint(f"{cells[0][2:]} LLaMA-2-7B {precision} tg128", "GIST4167", "decode", tg, L2_7B, gpu,
                                  precision, "llama.cpp", 64, row))
    return out


def _p(label: str, source: str, metric: str, measured: float, model: str, gpu: str, precision: str, runtime: str,
       context: int, quote: str, gpus: int = 1) -> SpeedPoint:
    return SpeedPoint(label, source, metric, measured, model, gpu, precision, runtime, context, quote, gpus)


_SH_Q4 = "| Llama2-7B  | RTX 3090 Ti | **186.7**             | 161.67               | 144.93              |"
_SH_Q4_13 = "| Llama2-13B | RTX 3090 Ti | **107.4**             | 92.11                | 86.65               |"
_SH_Q4_4090 = "| Llama2-7B  | RTX 4090    | **204.8**             | 177.46               | 151.1               |"
_SH_Q4_4090_13 = "| Llama2-13B | RTX 4090    | **113.5**             | 105.94                | 88.0                |"
_SH_FP16 = (
    "| Llama2-70B    | A100 x 2 | **17.0**              | N/A                  | 10.46               | 15.27          |",  # noqa: E501
    "|               | A100 x 4 | **26.6**              | N/A                  | 11.07               | 17.64          |",  # noqa: E501
    "|               | A100 x 8 | **38.8**              | N/A                  | 9.37                | 14.32          |",  # noqa: E501
)
_SH_4BIT = ("| Llama2-70B    | A100 x 2     | **40.9**    | 32.64   | 17.35     | 21.4  |",
            "|               | A100 x 4     | **55.8**    | 30.36   | 15.45     | 21.36 |",
            "|               | A100 x 8     | **59.4**    | 32.23   | 11.2      | 17.6  |",
            "|               | RTX 4090 x 2 | **34.5**    | 24.39   | 17.55     | 23.8  |")
_SH_CTX = 8 + 128  # 8-token prompt, 256 generated: 136 tokens on average in the cache


def _sh1ng_points() -> list[SpeedPoint]:
    pts = [
        _p("3090 Ti Llama-2-7B Q4_0 decode", "SH1NG", "decode", 144.93, L2_7B, "RTX 3090 Ti", "q4_0", "llama.cpp",
           _SH_CTX, _SH_Q4),
        _p("3090 Ti Llama-2-13B Q4_0 decode", "SH1NG", "decode", 86.65, L2_13B, "RTX 3090 Ti", "q4_0", "llama.cpp",
           _SH_CTX, _SH_Q4_13),
        _p("4090 Llama-2-7B Q4_0 decode", "SH1NG", "decode", 151.1, L2_7B, "RTX 4090", "q4_0", "llama.cpp", _SH_CTX,
           _SH_Q4_4090),
        _p("4090 Llama-2-13B Q4_0 decode", "SH1NG", "decode", 88.0, L2_13B, "RTX 4090", "q4_0", "llama.cpp", _SH_CTX,
           _SH_Q4_4090_13),
    ]
    for row, n in zip(_SH_FP16, (2, 4, 8), strict=True):
        cells = [c.strip().strip("*") for c in row.strip("|").split("|")]
        pts.append(_p(f"A100 x{n} Llama-2-70B f16 decode", "SH1NG", "decode", float(cells[4]), L2_70B,
                      "A100 80GB PCIe", "f16", "llama.cpp", _SH_CTX, row, n))
        pts.append(_p(f"A100 x{n} Llama-2-70B bf16 decode (vLLM TP)", "SH1NG", "decode", float(cells[5]), L2_70B,
                      "A100 80GB PCIe", "bf16", "vllm", _SH_CTX, row, n))
    for row, (gpu, n) in zip(_SH_4BIT, (("A100 80GB PCIe", 2), ("A100 80GB PCIe", 4), ("A100 80GB PCIe", 8),
                                       ("RTX 4090", 2)), strict=True):
        cells = [c.strip().strip("*") for c in row.strip("|").split("|")]
        pts.append(_p(f"{gpu} x{n} Llama-2-70B Q4_0 decode", "SH1NG", "decode", float(cells[4]), L2_70B, gpu, "q4_0",
                      "llama.cpp", _SH_CTX, row, n))
        pts.append(_p(f"{gpu} x{n} Llama-2-70B AWQ decode (vLLM TP)", "SH1NG", "decode", float(cells[5]), L2_70B, gpu,
                      "awq", "vllm", _SH_CTX, row, n))
    return pts


# Ollama: default Q4_K_M tags (llama3.2:3b, deepseek-r1:14b = the Qwen-14B distill, llama3.1:70b/405b,
# deepseek-r1:671b) and gpt-oss:20b in MXFP4; a short chat prompt, a few hundred tokens generated.
_OLLAMA_MODELS = {"3b": ("meta-llama/Llama-3.2-3B-Instruct", "q4_k_m"),
                  "14b": ("deepseek-ai/DeepSeek-R1-Distill-Qwen-14B", "q4_k_m"),
                  "20b": ("openai/gpt-oss-20b", "mxfp4_moe"), "70b": ("meta-llama/Llama-3.1-70B-Instruct", "q4_k_m"),
                  "405b": ("meta-llama/Llama-3.1-405B-Instruct", "q4_k_m"),
                  "671b": ("deepseek-ai/DeepSeek-R1", "q4_k_m")}
GEERLING_ROWS = (
    ("14b", "RTX 4090", "| [Intel 265K Custom PC (Nvidia RTX 4090)](https://github.com/geerlingguy/ai-benchmarks/issues/43) | GPU | 92.49 Tokens/s | 464.2W |"),  # noqa: E501
    ("14b", "RTX 3080 Ti", "| [Intel 265K Custom PC (Nvidia RTX 3080 Ti)](https://github.com/geerlingguy/ai-benchmarks/issues/39) | GPU | 70.74 Tokens/s | 495W |"),  # noqa: E501
    ("14b", "M3 Ultra 512GB", "| [Mac Studio (M3 Ultra 512GB)](https://github.com/geerlingguy/ai-benchmarks/issues/42) | GPU | 51.85 Tokens/s | 227W |"),  # noqa: E501
    ("14b", "RTX 4070 Ti", "| [Intel 265K Custom PC (Nvidia RTX 4070 Ti)](https://github.com/geerlingguy/ai-benchmarks/issues/45) | GPU | 49.74 Tokens/s | 311.1W |"),  # noqa: E501
    ("14b", "RTX 3060 12GB", "| [Intel 265K Custom PC (Nvidia RTX 3060)](https://github.com/geerlingguy/ai-benchmarks/issues/40) | GPU | 29.77 Tokens/s | 224W |"),  # noqa: E501
    ("14b", "DGX Spark GB10", "| [Dell Pro Max with GB10 (Nvidia Spark)](https://github.com/geerlingguy/ai-benchmarks/issues/34) | GPU | 23.92 Tokens/s | 138.4W |"),  # noqa: E501
    ("14b", "CPU Intel N150 DDR5 single-channel 16GB", "| [GMKtek G3 Plus (Intel N150) - 16GB](https://github.com/geerlingguy/ai-benchmarks/issues/12) | CPU | 2.13 Tokens/s | 30.3W |"),  # noqa: E501
    ("14b", "CPU Raspberry Pi 5 16GB", "| [Pi 5 - 16GB](https://github.com/geerlingguy/ai-benchmarks/issues/7) | CPU | 1.20 Tokens/s | 13.0W |"),  # noqa: E501
    ("671b", "M3 Ultra 512GB", "| [Mac Studio (M3 Ultra 512GB)](https://github.com/geerlingguy/ai-benchmarks/issues/42) | GPU | 19.89 Tokens/s | 261.8W |"),  # noqa: E501
    ("671b", "CPU AmpereOne A192-32X 512GB", "| [AmpereOne A192-32X - 512GB](https://github.com/geerlingguy/ai-benchmarks/issues/10) | CPU | 4.18 Tokens/s | 477W |"),  # noqa: E501
    ("20b", "RTX 4090", "| [Intel 265K Custom PC (Nvidia RTX 4090)](https://github.com/geerlingguy/ai-benchmarks/issues/43) | GPU | 279.65 Tokens/s | 509.1W |"),  # noqa: E501
    ("20b", "RTX 4070 Ti", "| [Intel 265K Custom PC (Nvidia RTX 4070 Ti)](https://github.com/geerlingguy/ai-benchmarks/issues/45) | GPU | 163.14 Tokens/s | 298.7W |"),  # noqa: E501
    ("20b", "M3 Ultra 512GB", "| [Mac Studio (M3 Ultra 512GB)](https://github.com/geerlingguy/ai-benchmarks/issues/42) | GPU | 115.29 Tokens/s | 227W |"),  # noqa: E501
    ("20b", "RTX A4000", "| [Intel 265K Custom PC (Nvidia RTX A4000)](https://github.com/geerlingguy/ai-benchmarks/issues/36) | GPU | 93.55 Tokens/s | 199.4W |"),  # noqa: E501
    ("20b", "DGX Spark GB10", "| [Dell Pro Max with GB10 (Nvidia Spark)](https://github.com/geerlingguy/ai-benchmarks/issues/34) | GPU | 87.97 Tokens/s | 122.8W |"),  # noqa: E501
    ("20b", "RTX 3060 12GB", "| [Intel 265K Custom PC (Nvidia RTX 3060)](https://github.com/geerlingguy/ai-benchmarks/issues/40) | GPU | 83.96 Tokens/s | 229.3W |"),  # noqa: E501
    ("3b", "RTX 4090", "| [Intel 265K Custom PC (Nvidia RTX 4090)](https://github.com/geerlingguy/ai-benchmarks/issues/43) | GPU | 334.67 Tokens/s | 261.9W |"),  # noqa: E501
    ("3b", "RTX 3080 Ti", "| [Intel 265K Custom PC (Nvidia RTX 3080 Ti)](https://github.com/geerlingguy/ai-benchmarks/issues/39) | GPU | 263.24 Tokens/s | 495W |"),  # noqa: E501
    ("3b", "RTX 4070 Ti", "| [Intel 265K Custom PC (Nvidia RTX 4070 Ti)](https://github.com/geerlingguy/ai-benchmarks/issues/45) | GPU | 196.15 Tokens/s | 266.9W |"),  # noqa: E501
    ("3b", "M3 Ultra 512GB", "| [Mac Studio (M3 Ultra 512GB)](https://github.com/geerlingguy/ai-benchmarks/issues/42) | GPU | 154.60 Tokens/s | 223W |"),  # noqa: E501
    ("3b", "RTX A4000", "| [Intel 265K Custom PC (Nvidia RTX A4000)](https://github.com/geerlingguy/ai-benchmarks/issues/36) | GPU | 149.44 Tokens/s | 269.2W |"),  # noqa: E501
    ("3b", "RTX 3060 12GB", "| [Intel 265K Custom PC (Nvidia RTX 3060)](https://github.com/geerlingguy/ai-benchmarks/issues/40) | GPU | 122.85 Tokens/s | 214W |"),  # noqa: E501
    ("3b", "DGX Spark GB10", "| [Dell Pro Max with GB10 (Nvidia Spark)](https://github.com/geerlingguy/ai-benchmarks/issues/34) | GPU | 97.93 Tokens/s | 128.5W |"),  # noqa: E501
    ("3b", "Ryzen AI Max+ 395 128GB", "| [Framework Mainboard (128GB)](https://github.com/geerlingguy/ai-benchmarks/issues/21#issuecomment-3164568218) | GPU | 88.14 Tokens/s | 133W |"),  # noqa: E501
    ("3b", "Mac mini M4 32GB", "| [M4 Mac mini (10 core - 32GB)](https://github.com/geerlingguy/ai-benchmarks/issues/2) | GPU | 41.31 Tokens/s | 30.1W |"),  # noqa: E501
    ("3b", "CPU AmpereOne A192-32X 512GB", "| [AmpereOne A192-32X (512GB)](https://github.com/geerlingguy/ai-benchmarks/issues/10) | CPU | 23.52 Tokens/s | N/A |"),  # noqa: E501
    ("3b", "CPU Intel N150 DDR5 single-channel 16GB", "| [GMKtec G3 Plus (Intel N150) - 16GB](https://github.com/geerlingguy/ai-benchmarks/issues/12) | CPU | 9.06 Tokens/s | 26.4W |"),  # noqa: E501
    ("3b", "CPU Raspberry Pi 5 16GB", "| [Pi 5 - 16GB](https://github.com/geerlingguy/ai-benchmarks/issues/70) | CPU | 4.88 Tokens/s | 11.9W |"),  # noqa: E501
    ("70b", "M3 Ultra 512GB", "| [Mac Studio (M3 Ultra 512GB)](https://github.com/geerlingguy/ai-benchmarks/issues/42) | GPU | 14.08 Tokens/s | 243W |"),  # noqa: E501
    ("70b", "DGX Spark GB10", "| [Dell Pro Max with GB10 (Nvidia Spark)](https://github.com/geerlingguy/ai-benchmarks/issues/34) | GPU | 4.71 Tokens/s | 156W |"),  # noqa: E501
    ("70b", "CPU AmpereOne A192-32X 512GB", "| [AmpereOne A192-32X (512GB)](https://github.com/geerlingguy/ai-benchmarks/issues/10) | CPU | 3.86 Tokens/s | N/A |"),  # noqa: E501
    ("405b", "M3 Ultra 512GB", "| [Mac Studio (M3 Ultra 512GB)](https://github.com/geerlingguy/ai-benchmarks/issues/42) | GPU | 1.96 Tokens/s | 256.4W |"),  # noqa: E501
    ("405b", "CPU AmpereOne A192-32X 512GB", "| [AmpereOne A192-32X (512GB)](https://github.com/geerlingguy/ai-benchmarks/issues/10) | CPU | 0.90 Tokens/s | N/A |"),  # noqa: E501
)


def _geerling_points() -> list[SpeedPoint]:
    out: list[SpeedPoint] = []
    for size, gpu, row in GEERLING_ROWS:
        model, precision = _OLLAMA_MODELS[size]
        value = float(re.search(r"\| ([0-9.]+) Tokens/s", row).group(1))  # type: ignore[union-attr]
        out.append(_p(f"{gpu} Ollama {size} decode", "GEERLING", "decode", value, model, gpu, precision, "llama.cpp",
                      512, row))
    return out


_LHL = {
    "llama-2-7b.Q4_0": (L2_7B, "q4_0", "| llama.cpp-hip           | 1           |       |      | 975.304354      | 49.433559     | 6614      |"),  # noqa: E501
    "Qwen3-30B-A3B-UD-Q4_K_XL": ("Qwen/Qwen3-30B-A3B", "q4_k_m", "| llama.cpp-hip     | 1           |       |        | 588.073404     | 61.041616     | 18291     |"),  # noqa: E501
    "gpt-oss-20b-F16": ("openai/gpt-oss-20b", "mxfp4_moe", "| llama.cpp-hip           | 1           |       |        | 1196.176521     | 46.919194  | 14217     |"),  # noqa: E501
}
_LHL_120B = "| llama.cpp-hip           | 1           |       |        | nan            | **33.66161** | 62963     |"


def _lhl_points() -> list[SpeedPoint]:
    out: list[SpeedPoint] = []
    gpu = "Ryzen AI Max+ 395 128GB"
    for name, (model, precision, row) in _LHL.items():
        cells = [c.strip().strip("*") for c in row.strip("|").split("|")]
        out.append(_p(f"Strix Halo {name} pp512", "LHL", "prefill", float(cells[4]), model, gpu, precision,
                      "llama.cpp", 512, row))
        out.append(_p(f"Strix Halo {name} tg128", "LHL", "decode", float(cells[5]), model, gpu, precision,
                      "llama.cpp", 64, row))
    out.append(_p("Strix Halo gpt-oss-120b tg128", "LHL", "decode", 33.66161, "openai/gpt-oss-120b", gpu,
                  "mxfp4_moe", "llama.cpp", 64, _LHL_120B))
    return out


def _vllm_points() -> list[SpeedPoint]:
    wmx = "| 1 | 1.3 | 168 | 27.0 | 115.5 | 5.1 | 6.1 | 679 | 765 |"
    return [
        _p("A100 40GB Llama-3.1-8B bf16 decode (vLLM, 1 request)", "MUSGRAVE", "decode", 75.0,
           "meta-llama/Llama-3.1-8B-Instruct", "A100 40GB SXM", "bf16", "vllm", 1024 + 64,
           "On a single NVIDIA A100 40GB, decode at one request per time runs at about 75 tokens/sec, roughly 77% "
           "of the GPU's memory-bandwidth ceiling."),
        _p("L4 Qwen2.5-0.5B bf16 decode (vLLM, 1 request, 1/ITL p50)", "WMX", "decode", round(1000 / 5.1, 1),
           "Qwen/Qwen2.5-0.5B-Instruct", "L4", "bf16", "vllm", 256 + 64, wmx),
        SpeedPoint("L4 Qwen2.5-0.5B bf16 prefill (vLLM, 256 tokens / TTFT p50)", "WMX", "prefill",
                   round(256 / 0.027, 1), "Qwen/Qwen2.5-0.5B-Instruct", "L4", "bf16", "vllm", 256, wmx,
                   exclude="a 27 ms TTFT for 256 tokens is the server's fixed per-request cost, not prefill compute "
                           "(0.13 GFLOP per token); kept here for reference"),
    ]


def all_points() -> list[SpeedPoint]:
    return _xd_points() + _gist_points() + _sh1ng_points() + _geerling_points() + _lhl_points() + _vllm_points()

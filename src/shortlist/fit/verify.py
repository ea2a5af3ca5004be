"""The command that measures an estimate on the real device, in the runtime the estimate models.

Each command prints the memory the runtime allocates and its speed, so the user can hold the answer against
the machine: vLLM's startup log, llama.cpp's buffer sizes and llama-bench, MLX's peak memory and tokens/s,
torch's allocator peak. `shortlist measure` then times a running server end to end.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from shortlist.fit.memory import Plan

_GGUF_NAME = {"mxfp4_moe": "MXFP4", "bf16-gguf": "BF16", "gguf-f32": "F32"}
_MLX_BITS = {"mlx-q4": 4, "mlx-q6": 6, "mlx-q8": 8}


def verify_command(p: Plan, context: int, batch: int) -> str:
    m, req = p.model, p.req
    if req.mode != "inference":
        return _training(p)
    if p.runtime == "llama.cpp":
        ngl = p.offload_layers if p.offload_layers is not None else (0 if req.gpu.vendor == "cpu" else 99)
        name = _GGUF_NAME.get(p.fmt.name, p.fmt.name.upper())
        return (f"llama-cli -m MODEL.{name}.gguf -c {context * batch} -ngl {ngl} -fa on -n 16 -p hi "
                "2>&1 | grep -E 'buffer size'; "
                f"llama-bench -m MODEL.{name}.gguf -p {min(context, 512)} -n 128 -ngl {ngl} -fa 1")
    if p.runtime == "mlx":
        repo = m.id
        if p.fmt.family == "mlx":
            repo = f"./{m.display_name}-{_MLX_BITS[p.fmt.name]}bit"
            convert = (f"mlx_lm.convert --hf-path {m.id} -q --q-bits {_MLX_BITS[p.fmt.name]} --q-group-size 64 "
                       f"--mlx-path {repo} && ")
        else:
            convert = ""
        return (f"{convert}mlx_lm.generate --model {repo} --max-tokens 128 --prompt \"$(head -c {context} "
                "/dev/urandom | base64)\"  # prints prompt and generation tokens-per-sec and Peak memory")
    if p.runtime == "transformers":
        device = "cpu" if req.gpu.vendor == "cpu" else "cuda"
        load = ("quantization_config=t.BitsAndBytesConfig(load_in_4bit=True)" if p.fmt.family == "bnb4"
                else "dtype='auto'")
        peak = ("print(torch.cuda.max_memory_allocated()/2**30)" if device == "cuda" else
                "import resource; print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss/2**20, 'GiB RSS')")
        return (f"python -c \"import torch, transformers as t; m=t.AutoModelForCausalLM.from_pretrained('{m.id}', "
                f"device_map='{device}', {load}); x=torch.ones({batch},{context},dtype=torch.long,device='{device}'); "
                f"m.generate(x, max_new_tokens=1); {peak}\"")
    tp = f" --tensor-parallel-size {req.gpus}" if req.gpus > 1 else ""
    quant = {"fp8": " --quantization fp8"}.get(p.fmt.name, "")
    if p.fmt.family == "fp8" and m.native_precision == "fp8":
        quant = ""  # the checkpoint is FP8 already
    return (f"vllm serve {m.id} --max-model-len {context} --max-num-seqs {batch}{tp}{quant} 2>&1 | "
            "grep -E 'weights took|KV cache|activation'")


def _training(p: Plan) -> str:
    if p.req.gpu.vendor == "apple":
        return ("python -c \"import torch; <build the model/trainer as planned on 'mps'>; trainer.train(); "
                "print(torch.mps.driver_allocated_memory() / 2**30, 'GiB')\"")
    return ("python -c \"import torch; <build the model/trainer as planned>; trainer.train(); "
            "print(torch.cuda.max_memory_allocated() / 2**30, 'GiB')\"  # add ~0.4 GiB CUDA context "
            "(nvidia-smi)")

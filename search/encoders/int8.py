"""A CLIP image tower in int8 on the CPU: torch's dynamic quantisation (weights in 8 bits once, each batch's
activations on the fly) of every projection in it.

Dynamic quantisation converts `nn.Linear` layers only. A ViT's attention is `nn.MultiheadAttention`, whose input
projection is a bare weight and whose output projection it reads as a weight too, so both stayed float32: a third of
the tower's multiplications. `ProjectedAttention` computes the same self-attention through two `nn.Linear` layers
sharing its weights, so those are quantised as well: on ViT-B-32, int8 went from 1.46-1.57x float32 to 1.78-2.21x
with VNNI, and from 1.35-1.44x to 1.43-1.70x (two runs) with the AVX2 kernels alone (`bench/encoder.py`,
docs/benchmarks.md).
"""
from __future__ import annotations

import warnings

import torch
from torch import nn
from torch.nn import functional


class ProjectedAttention(nn.Module):
    """`nn.MultiheadAttention`'s self-attention, in eval mode and without a mask of its own, with its input and output
    projections as `nn.Linear` layers over the same weights."""

    def __init__(self, attention: nn.MultiheadAttention) -> None:
        super().__init__()
        self.heads = attention.num_heads
        self.batch_first = attention.batch_first
        self.qkv = _linear(attention.in_proj_weight, attention.in_proj_bias)
        self.out = _linear(attention.out_proj.weight, attention.out_proj.bias)

    def forward(self, query: torch.Tensor, key: torch.Tensor, value: torch.Tensor, need_weights: bool = False,
                attn_mask: torch.Tensor | None = None) -> tuple[torch.Tensor, None]:
        # `key` and `value` are `query` in every block this stands in for (`_self_attention_blocks`)
        tokens = query if self.batch_first else query.transpose(0, 1)
        batch, length, width = tokens.shape
        q, k, v = (self.qkv(tokens).view(batch, length, 3, self.heads, width // self.heads)
                   .permute(2, 0, 3, 1, 4))
        attended = functional.scaled_dot_product_attention(q, k, v, attn_mask=attn_mask)
        out = self.out(attended.transpose(1, 2).reshape(batch, length, width))
        return (out if self.batch_first else out.transpose(0, 1)), None


def quantise_image_tower(model: nn.Module) -> nn.Module:
    """The model, its image tower's projections made int8 in place. The text tower, one short query at a time,
    stays float32. torch marks this API deprecated in favour of torchao, whose eager int8 ran no faster than float32
    on this CPU kind (docs/benchmarks.md)."""
    for block in _self_attention_blocks(model.visual):
        block.attn = ProjectedAttention(block.attn)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", UserWarning)
        model.visual = torch.ao.quantization.quantize_dynamic(model.visual, {nn.Linear}, dtype=torch.qint8)
    return model


def _self_attention_blocks(tower: nn.Module) -> list[nn.Module]:
    """The tower's blocks whose attention `ProjectedAttention` computes alike: plain self-attention (a block with
    `ln_1_kv` attends to other tokens), one projection for query, key and value, no extra key or value rows."""
    return [block for block in tower.modules()
            if isinstance(attention := getattr(block, "attn", None), nn.MultiheadAttention)
            and not hasattr(block, "ln_1_kv") and attention._qkv_same_embed_dim
            and attention.bias_k is None and not attention.add_zero_attn]


def _linear(weight: nn.Parameter, bias: nn.Parameter | None) -> nn.Linear:
    layer = nn.Linear(weight.shape[1], weight.shape[0], bias=bias is not None)
    layer.weight = weight
    if bias is not None:
        layer.bias = bias
    return layer

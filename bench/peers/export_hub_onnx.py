#!/usr/bin/python3
"""Dev-only fixture maker: a ViTForImageClassification exported to ONNX the way the Hugging Face Hub's ONNX files are
(Optimum's torch.onnx.export, opset 14), without the transformers package (not installable here).

  export_hub_onnx.py MODEL_DIR OUT_DIR     -> OUT_DIR/onnx/model.onnx, OUT_DIR/config.json, preprocessor_config.json

The nn.Module below mirrors transformers' modeling_vit.py (eager attention, as exported before sdpa) module by module
and line by line where it matters to the traced graph: the head split takes its shape from x.size() at run time
(Shape -> Gather -> Unsqueeze -> Concat in ONNX), the scale is a Div by sqrt(head_size), LayerNorm is nn.LayerNorm
(decomposed at opset 14: ReduceMean, Sub, Pow, ReduceMean, Add, Sqrt, Div, Mul, Add) and GELU is the erf one. The
weights come from model.safetensors (torch_eager.py's loader). Before writing, the exported graph's logits are checked
against the module's on a random batch (1e-4), and against torch_eager.py's functional ViT.

Needs Debian's python3-torch (1.13) and python3-numpy. The exported graph itself is run when onnxruntime or onnx's
reference evaluator (onnx >= 1.13) is importable; Debian's are not, and then dfd's HubExportTest is that check.
"""
import json
import math
import os
import shutil
import sys

import torch
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
try:
    import PIL  # noqa: F401  torch_eager imports it for its preprocessing, which is not used here
except ImportError:
    import types
    sys.modules["PIL"] = types.SimpleNamespace(Image=None, ImageOps=None)
from torch_eager import ViT as FunctionalViT, load_safetensors  # noqa: E402


class ViTPatchEmbeddings(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        p = cfg["patch_size"]
        self.projection = nn.Conv2d(cfg["num_channels"], cfg["hidden_size"], kernel_size=p, stride=p)

    def forward(self, pixel_values):
        return self.projection(pixel_values).flatten(2).transpose(1, 2)


class ViTEmbeddings(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        n = (cfg["image_size"] // cfg["patch_size"]) ** 2
        self.cls_token = nn.Parameter(torch.zeros(1, 1, cfg["hidden_size"]))
        self.patch_embeddings = ViTPatchEmbeddings(cfg)
        self.position_embeddings = nn.Parameter(torch.zeros(1, n + 1, cfg["hidden_size"]))

    def forward(self, pixel_values):
        batch_size = pixel_values.shape[0]
        embeddings = self.patch_embeddings(pixel_values)
        cls_tokens = self.cls_token.expand(batch_size, -1, -1)
        embeddings = torch.cat((cls_tokens, embeddings), dim=1)
        return embeddings + self.position_embeddings


class ViTSelfAttention(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.num_attention_heads = cfg["num_attention_heads"]
        self.attention_head_size = int(cfg["hidden_size"] / cfg["num_attention_heads"])
        self.all_head_size = self.num_attention_heads * self.attention_head_size
        bias = cfg.get("qkv_bias", True)
        self.query = nn.Linear(cfg["hidden_size"], self.all_head_size, bias=bias)
        self.key = nn.Linear(cfg["hidden_size"], self.all_head_size, bias=bias)
        self.value = nn.Linear(cfg["hidden_size"], self.all_head_size, bias=bias)

    def transpose_for_scores(self, x):
        new_x_shape = x.size()[:-1] + (self.num_attention_heads, self.attention_head_size)
        x = x.view(new_x_shape)
        return x.permute(0, 2, 1, 3)

    def forward(self, hidden_states):
        mixed_query_layer = self.query(hidden_states)
        key_layer = self.transpose_for_scores(self.key(hidden_states))
        value_layer = self.transpose_for_scores(self.value(hidden_states))
        query_layer = self.transpose_for_scores(mixed_query_layer)
        attention_scores = torch.matmul(query_layer, key_layer.transpose(-1, -2))
        attention_scores = attention_scores / math.sqrt(self.attention_head_size)
        attention_probs = nn.functional.softmax(attention_scores, dim=-1)
        context_layer = torch.matmul(attention_probs, value_layer)
        context_layer = context_layer.permute(0, 2, 1, 3).contiguous()
        new_context_layer_shape = context_layer.size()[:-2] + (self.all_head_size,)
        return context_layer.view(new_context_layer_shape)


class ViTSelfOutput(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.dense = nn.Linear(cfg["hidden_size"], cfg["hidden_size"])

    def forward(self, hidden_states, input_tensor):
        return self.dense(hidden_states)


class ViTAttention(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.attention = ViTSelfAttention(cfg)
        self.output = ViTSelfOutput(cfg)

    def forward(self, hidden_states):
        return self.output(self.attention(hidden_states), hidden_states)


class ViTIntermediate(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.dense = nn.Linear(cfg["hidden_size"], cfg["intermediate_size"])

    def forward(self, hidden_states):
        return nn.functional.gelu(self.dense(hidden_states))  # ACT2FN["gelu"]: the erf GELU


class ViTOutput(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.dense = nn.Linear(cfg["intermediate_size"], cfg["hidden_size"])

    def forward(self, hidden_states, input_tensor):
        return self.dense(hidden_states) + input_tensor


class ViTLayer(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.attention = ViTAttention(cfg)
        self.intermediate = ViTIntermediate(cfg)
        self.output = ViTOutput(cfg)
        self.layernorm_before = nn.LayerNorm(cfg["hidden_size"], eps=cfg["layer_norm_eps"])
        self.layernorm_after = nn.LayerNorm(cfg["hidden_size"], eps=cfg["layer_norm_eps"])

    def forward(self, hidden_states):
        attention_output = self.attention(self.layernorm_before(hidden_states))
        hidden_states = attention_output + hidden_states  # first residual
        layer_output = self.intermediate(self.layernorm_after(hidden_states))
        return self.output(layer_output, hidden_states)  # second residual


class ViTEncoder(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.layer = nn.ModuleList([ViTLayer(cfg) for _ in range(cfg["num_hidden_layers"])])

    def forward(self, hidden_states):
        for layer_module in self.layer:
            hidden_states = layer_module(hidden_states)
        return hidden_states


class ViTModel(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.embeddings = ViTEmbeddings(cfg)
        self.encoder = ViTEncoder(cfg)
        self.layernorm = nn.LayerNorm(cfg["hidden_size"], eps=cfg["layer_norm_eps"])

    def forward(self, pixel_values):
        return self.layernorm(self.encoder(self.embeddings(pixel_values)))


class ViTForImageClassification(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.vit = ViTModel(cfg)
        self.classifier = nn.Linear(cfg["hidden_size"], len(cfg["id2label"]))

    def forward(self, pixel_values):
        sequence_output = self.vit(pixel_values)
        return self.classifier(sequence_output[:, 0, :])


def main(model_dir, out_dir):
    cfg = json.load(open(os.path.join(model_dir, "config.json")))
    if cfg.get("model_type") not in ("vit", "deit") or "ViTForImageClassification" not in cfg.get("architectures", []):
        sys.exit(f"{model_dir}: not a ViTForImageClassification ({cfg.get('model_type')})")
    model = ViTForImageClassification(cfg).eval()
    weights = load_safetensors(os.path.join(model_dir, "model.safetensors"))
    weights = {k: v for k, v in weights.items() if not k.startswith("vit.pooler.")}  # no pooler in classification
    missing, unexpected = model.load_state_dict(weights, strict=False)
    if missing or unexpected:
        sys.exit(f"{model_dir}: weights do not fit: missing {missing}, unexpected {unexpected}")

    size = cfg["image_size"]
    torch.manual_seed(0)
    dummy = torch.randn(2, cfg["num_channels"], size, size)
    os.makedirs(os.path.join(out_dir, "onnx"), exist_ok=True)
    onnx_path = os.path.join(out_dir, "onnx", "model.onnx")
    with torch.no_grad():
        torch.onnx.export(model, dummy, onnx_path, opset_version=14, input_names=["pixel_values"],
                          output_names=["logits"],
                          dynamic_axes={"pixel_values": {0: "batch_size", 1: "num_channels", 2: "height", 3: "width"},
                                        "logits": {0: "batch_size"}},
                          do_constant_folding=True)
    for name in ("config.json", "preprocessor_config.json"):
        shutil.copyfile(os.path.join(model_dir, name), os.path.join(out_dir, name))

    # checks: the module against torch_eager's functional ViT, and the exported graph against the module
    x = torch.rand(2, cfg["num_channels"], size, size) * 2 - 1
    with torch.no_grad():
        want = model(x)
        functional = FunctionalViT(model_dir)(x)
    d = (want - functional).abs().max().item()
    print(f"module vs torch_eager.py: max logit difference {d:.2e}")
    if d > 1e-4:
        sys.exit("the module does not compute ViTForImageClassification")
    run = None
    try:
        import onnxruntime
        session = onnxruntime.InferenceSession(onnx_path, providers=["CPUExecutionProvider"])
        run = lambda a: session.run(None, {"pixel_values": a})[0]  # noqa: E731
    except ImportError:
        try:
            from onnx.reference import ReferenceEvaluator  # onnx >= 1.13
            run = lambda a: ReferenceEvaluator(onnx_path).run(None, {"pixel_values": a})[0]  # noqa: E731
        except ImportError:
            pass
    if run is None:
        print("neither onnxruntime nor onnx.reference here: the exported graph is checked by dfd's HubExportTest "
              "(its logits against dfd's own conversion's and transformers' on the golden images)")
        return
    d = abs(run(x.numpy()) - want.numpy()).max()
    print(f"exported graph vs module: max logit difference {d:.2e}")
    if d > 1e-4:
        sys.exit("the exported graph does not compute what the module does")

if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])

#!/bin/sh
# Makes the Hub-style ONNX exports here (HubExportTest's fixtures): the golden tiny ViT's model.safetensors exported
# as Optimum exports Hub models (torch.onnx.export, opset 14, all input axes dynamic) by
# bench/peers/export_hub_onnx.py. Needs Debian's python3-torch, python3-numpy. Run from the repository root:
#   sh dfd-convert/src/test/resources/hub-export/make.sh
set -eu
/usr/bin/python3 bench/peers/export_hub_onnx.py ../shared/golden/models/vit-tiny-seed0 \
    dfd-convert/src/test/resources/hub-export/vit-tiny-seed0

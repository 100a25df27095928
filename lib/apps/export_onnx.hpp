// ssl-export --to onnx: a trained encoder as an ONNX graph (opset 17, IR 8,
// io/onnx_writer.hpp) that gives ssl-embed's features, one emitter per
// encoder kind: convnet and resnet (batch norm with the running statistics),
// vit (patch conv, class token, the fixed sine-cosine positions of the
// trained image size), text (input_ids and attention_mask, padded keys
// masked) and w2v (raw waveform and a sample mask, standardised in the
// graph as ssl-embed does). The directory gets model.onnx and a README.md
// with the inputs' preprocessing (and a text model's tokenizer.model).
#pragma once
#include <string>

#include "io/output_dir.hpp"

namespace sslkit::train {

// Writes the graph of the encoder of `model` into `out`; UsageError for an
// encoder no emitter handles.
void export_onnx(const std::string& model, io::OutputDir& out);

}  // namespace sslkit::train

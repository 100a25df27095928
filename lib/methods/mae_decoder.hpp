// The shape of MAE's decoder, as data: ssl-pretrain's --decoder-* options
// (the mae row of the registry) and an imported ViTMAE's config.json set it,
// /config keeps it under decoder_width, decoder_depth, decoder_heads and
// decoder_mlp; a model file without them (written before) has the defaults,
// the decoder MAE always had here. Its layer norms take the encoder's
// epsilon, as Hugging Face's ViTMAE decoder does.
#pragma once
#include <nlohmann/json.hpp>

#include <cstdint>

namespace sslkit::methods {

struct MaeDecoder {
  int64_t width = 128, depth = 2, heads = 4, mlp = 512;
};

// From a method's own parameters (MethodParams::own); a key absent keeps its default.
MaeDecoder mae_decoder(const nlohmann::ordered_json& own);
void set_mae_decoder(const MaeDecoder& d, nlohmann::ordered_json& own);

}  // namespace sslkit::methods

// ssl-pretrain --init: a new run whose encoder starts from another model
// file's (SimCSE after MLM). Unlike --resume nothing else is taken: the
// method, its heads, the optimizer and the schedule are the new run's.
#pragma once
#include <string>

#include "io/data_file.hpp"
#include "methods/method.hpp"

namespace sslkit::train {

// The parameters' and buffers' prefix of a method's encoder: "encoder."
// (image and audio methods) or "text_encoder." (text methods).
std::string encoder_prefix(methods::Method& m);

// Copies the encoder of model file `path` into `to`'s, after checking that
// `in` is data that model takes (check_model_input: modality, channels,
// tokenizer, positions, sample rate). The two encoders must hold the same
// tensors of the same shapes: an Error naming `path` and the first that
// differs otherwise. An EMA target with the encoder's tensors (BYOL's
// target encoder, MoCo's key encoder) gets the same weights.
void init_encoder_from(const std::string& path, methods::Method& to, const io::DataReader& in);

}  // namespace sslkit::train

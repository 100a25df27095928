// A transformer block's layers under other libraries' names, beside
// sslkit's (block{i}.ln1, attn.q/k/v/out, ln2, fc1, fc2): the maps of
// ../shared/notes/interop.md 2.2 as data, shared by ssl-export (sslkit ->
// target) and ssl-import model (target -> sslkit), so the two directions
// cannot disagree. q, k and v empty: the target concatenates them (timm's
// qkv), written by its caller.
#pragma once

namespace sslkit::train {

struct BlockNames {
  const char *ln1, *q, *k, *v, *out, *ln2, *fc1, *fc2;
};
constexpr BlockNames kHfVitBlock{".layernorm_before", ".attention.attention.query", ".attention.attention.key",
                                 ".attention.attention.value", ".attention.output.dense", ".layernorm_after",
                                 ".intermediate.dense", ".output.dense"};
constexpr BlockNames kXlmrXlBlock{".attention.self_attn_layer_norm", ".attention.self.query", ".attention.self.key",
                                  ".attention.self.value", ".attention.output.dense", ".LayerNorm",
                                  ".intermediate.dense", ".output.dense"};
constexpr BlockNames kBertBlock{".attention.output.LayerNorm", ".attention.self.query", ".attention.self.key",
                                ".attention.self.value", ".attention.output.dense", ".output.LayerNorm",
                                ".intermediate.dense", ".output.dense"};
constexpr BlockNames kW2vBlock{".layer_norm", ".attention.q_proj", ".attention.k_proj", ".attention.v_proj",
                               ".attention.out_proj", ".final_layer_norm", ".feed_forward.intermediate_dense",
                               ".feed_forward.output_dense"};
constexpr BlockNames kTimmBlock{".norm1", "", "", "", ".attn.proj", ".norm2", ".mlp.fc1", ".mlp.fc2"};

// sslkit's names of a block's layers, in BlockNames' order.
constexpr const char* kOurBlockParts[] = {".ln1", ".attn.q", ".attn.k", ".attn.v", ".attn.out", ".ln2", ".fc1", ".fc2"};

}  // namespace sslkit::train

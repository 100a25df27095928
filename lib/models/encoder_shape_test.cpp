// EncoderShape: the presets' numbers, JSON both ways with errors naming the
// file and key, and --arch PRESET:key=value parsing.
#include <doctest/doctest.h>

#include "core/error.hpp"
#include "models/encoder_shape.hpp"
#include "models/encoders.hpp"
#include "models/text_encoder.hpp"
#include "models/vit.hpp"
#include "models/w2v.hpp"
#include "nn/engine.hpp"

using namespace sslkit;
using namespace sslkit::models;
using json = nlohmann::ordered_json;

namespace {
std::string error_of(const json& j) {
  try {
    from_json(j, "m.h5");
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}
std::string usage_error_of(const std::string& arch) {
  try {
    parse_arch(arch);
  } catch (const UsageError& e) {
    return e.what();
  }
  return "";
}
}  // namespace

TEST_CASE("presets: the numbers the encoders always had") {
  const EncoderShape bt = parse_arch("bert-tiny"), bm = parse_arch("bert-mini");
  CHECK((bt.width == 128 && bt.depth == 2 && bt.heads == 2 && bt.mlp == 512));
  CHECK((bm.width == 256 && bm.depth == 4 && bm.heads == 4 && bm.mlp == 1024));
  const EncoderShape vt = parse_arch("vit-tiny"), vm = parse_arch("vit-mini");
  CHECK((vt.width == 192 && vt.depth == 12 && vt.heads == 3 && vt.mlp == 768 && vt.patch == 4));
  CHECK((vm.width == 128 && vm.depth == 6 && vm.heads == 4 && vm.mlp == 512));
  const EncoderShape wm = parse_arch("w2v-mini"), wt = parse_arch("w2v-tiny");
  CHECK((wm.width == 256 && wm.depth == 4 && wm.heads == 4 && wm.mlp == 1024 && wm.pos_kernel == 15 && wm.pos_groups == 16));
  CHECK((wt.width == 64 && wt.depth == 2 && wt.heads == 2 && wt.mlp == 256 && wt.pos_kernel == 5 && wt.pos_groups == 4));
  CHECK(wm.conv.size() == 7);
  CHECK(wm.conv[0] == ConvLayer{128, 10, 5});
  CHECK(wm.conv[6] == ConvLayer{128, 2, 2});
  CHECK(parse_arch("convnet-m").widths == std::vector<int64_t>{64, 64, 128, 128, 256});
  CHECK(parse_arch("resnet18").blocks == std::vector<int64_t>{2, 2, 2, 2});
  for (const auto& p : arch_presets()) {
    CAPTURE(p.name);
    CHECK(p.shape.norm == NormPlacement::pre);
    CHECK(p.shape.eps == 1e-5);
    CHECK(shape_problem(p.shape) == "");
    CHECK(kind_modality(p.shape.kind) == p.modality);
  }
}

TEST_CASE("presets: names - modalities - the help - all from the one table") {
  CHECK(arch_names().size() == arch_presets().size());
  CHECK(arch_names_for("text") == "bert-tiny, bert-mini");
  CHECK(arch_names_for("audio") == "w2v-mini, w2v-tiny");
  CHECK(preset_names_of(EncoderKind::vit) == "vit-mini, vit-tiny");
  CHECK(arch_modality("bert-mini:depth=2") == "text");
  const std::string text = arch_help("text"), all = arch_help();
  CHECK(text.find("bert-mini") != std::string::npos);
  CHECK(text.find("vit-tiny") == std::string::npos);
  CHECK(text.find("widths") == std::string::npos);  // only the keys of text shapes
  CHECK(text.find("keys: width, depth, heads, mlp, norm, eps, token_types, pooler, dropout;") != std::string::npos);
  for (const auto& p : arch_presets()) {
    CHECK(all.find("\n  " + p.name + " ") != std::string::npos);
    CHECK(all.find(p.description) != std::string::npos);
  }
}

TEST_CASE("shape JSON: every preset and a changed shape go through to_json and from_json unchanged") {
  for (const auto& p : arch_presets()) {
    CAPTURE(p.name);
    CHECK(from_json(to_json(p.shape), "m.h5") == p.shape);
    // Through text, as a model file keeps it.
    CHECK(from_json(json::parse(to_json(p.shape).dump()), "m.h5") == p.shape);
  }
  const EncoderShape s = parse_arch("w2v-tiny:norm=post,eps=1e-12,conv_channels=16,conv_kernels=10/3,conv_strides=5/2");
  CHECK(from_json(json::parse(to_json(s).dump()), "m.h5") == s);
  CHECK(to_json(parse_arch("bert-tiny")).dump() ==
        R"({"kind":"text","width":128,"depth":2,"heads":2,"mlp":512,"norm":"pre","eps":1e-05,"position":"learned"})");
}

TEST_CASE("shape JSON: BERT's token types and pooler are written only when present and default when absent") {
  const EncoderShape s = parse_arch("bert-tiny:norm=post,eps=1e-12,token_types=2,pooler=true");
  CHECK(s.token_types == 2);
  CHECK(s.pooler);
  const json j = to_json(s);
  CHECK(j["token_types"] == 2);
  CHECK(j["pooler"] == true);
  CHECK(from_json(json::parse(j.dump()), "m.h5") == s);
  // Files written before the keys (every preset) read as none.
  json old = to_json(parse_arch("bert-tiny"));
  CHECK(!old.contains("token_types"));
  CHECK(!old.contains("pooler"));
  CHECK(from_json(old, "m.h5").token_types == 0);
  CHECK(!from_json(old, "m.h5").pooler);
  old["pooler"] = 1;
  CHECK(error_of(old) == "m.h5: /config encoder.pooler: not true or false: 1");
  old.erase("pooler");
  old["token_types"] = -1;
  CHECK(error_of(old) == "m.h5: /config encoder.token_types: 0 (none) or more rows, not -1");
  CHECK(usage_error_of("bert-tiny:pooler=yes") == "--arch bert-tiny:pooler=yes: pooler=yes is not true or false");
}

TEST_CASE("shape JSON: a text encoder's dropout is written only when not 0 and is 0 in older files") {
  const EncoderShape s = parse_arch("bert-mini:dropout=0.1");
  CHECK(s.dropout == doctest::Approx(0.1));
  const json j = to_json(s);
  CHECK(j["dropout"] == 0.1);
  CHECK(from_json(json::parse(j.dump()), "m.h5") == s);
  // Every file written before it (and every preset) has none, byte for byte as before.
  const json old = to_json(parse_arch("bert-mini"));
  CHECK(!old.contains("dropout"));
  CHECK(from_json(old, "m.h5").dropout == 0);
  json bad = old;
  bad["dropout"] = 1.0;
  CHECK(error_of(bad) == "m.h5: /config encoder.dropout: a probability in [0, 1), not 1");
  CHECK(usage_error_of("bert-mini:dropout=x") == "--arch bert-mini:dropout=x: dropout=x is not a number");
  // Only text encoders have it.
  CHECK(usage_error_of("vit-mini:dropout=0.1").find("'dropout' is not a key of a vit encoder") != std::string::npos);
}

TEST_CASE("shape JSON: a missing - unknown - or bad key is an Error naming the file and the key") {
  json j = to_json(parse_arch("bert-tiny"));
  CHECK(error_of(j) == "");
  json missing = j;
  missing.erase("heads");
  CHECK(error_of(missing) == "m.h5: /config encoder.heads: missing");
  json unknown = j;
  unknown["patch"] = 4;
  CHECK(error_of(unknown).rfind("m.h5: /config encoder.patch: not a key of a text encoder", 0) == 0);
  json type = j;
  type["depth"] = "two";
  CHECK(error_of(type) == "m.h5: /config encoder.depth: not an integer: \"two\"");
  json heads = j;
  heads["heads"] = 3;
  CHECK(error_of(heads) == "m.h5: /config encoder.heads: 3 do not divide width 128");
  json norm = j;
  norm["norm"] = "sandwich";
  CHECK(error_of(norm) == "m.h5: /config encoder.norm: 'sandwich' is not pre or post");
  json kind = j;
  kind["kind"] = "lstm";
  CHECK(error_of(kind).rfind("m.h5: /config encoder.kind: 'lstm' is not", 0) == 0);
  json w = to_json(parse_arch("w2v-tiny"));
  w["conv"][1] = json{{"channels", 32}, {"kernel", 3}};
  CHECK(error_of(w).rfind("m.h5: /config encoder.conv: each layer is", 0) == 0);
  w = to_json(parse_arch("w2v-tiny"));
  w["pos_kernel"] = 0;
  CHECK(error_of(w) == "m.h5: /config encoder.pos_kernel: at least 1, not 0");
  CHECK(error_of(json::array()) == "m.h5: /config encoder: is not a JSON object");
}

TEST_CASE("parse_arch: PRESET:key=value changes the preset's numbers") {
  const EncoderShape s = parse_arch("bert-mini:depth=2,norm=post,eps=1e-12");
  CHECK((s.kind == EncoderKind::text && s.width == 256 && s.depth == 2 && s.heads == 4 && s.mlp == 1024));
  CHECK(s.norm == NormPlacement::post);
  CHECK(s.eps == 1e-12);
  // The MLP keeps the preset's ratio when only the width changes.
  CHECK(parse_arch("bert-mini:width=64,heads=2").mlp == 256);
  CHECK(parse_arch("bert-mini:width=64,heads=2,mlp=100").mlp == 100);
  CHECK(parse_arch("convnet-s:widths=8/16/32").widths == std::vector<int64_t>{8, 16, 32});
  CHECK(parse_arch("resnet18:widths=16/32,blocks=1/1").blocks == std::vector<int64_t>{1, 1});
  const EncoderShape w = parse_arch("w2v-tiny:conv_channels=16,conv_kernels=10/3/3,conv_strides=5/2/2,pos_kernel=3");
  CHECK(w.conv == std::vector<ConvLayer>{{16, 10, 5}, {16, 3, 2}, {16, 3, 2}});
  CHECK(w.pos_kernel == 3);
  CHECK(w2v_frames(w, 400) == (((400 - 10) / 5 + 1 - 3) / 2 + 1 - 3) / 2 + 1);
  CHECK(parse_arch("vit-mini:depth=1,norm=post,eps=1e-6").depth == 1);
}

TEST_CASE("parse_arch: a bad name - key - or value is a UsageError naming it") {
  CHECK(usage_error_of("lstm").find("not 'lstm'") != std::string::npos);
  CHECK(usage_error_of("bert-mini:layers=2") ==
        "--arch bert-mini:layers=2: 'layers' is not a key of a text encoder (width, depth, heads, mlp, norm, eps, position, "
        "token_types, pooler, dropout)");
  CHECK(usage_error_of("bert-mini:depth=two") == "--arch bert-mini:depth=two: depth=two is not an integer");
  CHECK(usage_error_of("bert-mini:depth") == "--arch bert-mini:depth: 'depth' is not key=value");
  CHECK(usage_error_of("bert-mini:") == "--arch bert-mini:: '' is not key=value");
  CHECK(usage_error_of("bert-mini:norm=mid") == "--arch bert-mini:norm=mid: norm=mid is not pre or post");
  CHECK(usage_error_of("bert-mini:eps=0") == "--arch bert-mini:eps=0: eps: a positive number, not 0");
  CHECK(usage_error_of("bert-mini:eps=1e-5x") == "--arch bert-mini:eps=1e-5x: eps=1e-5x is not a number");
  CHECK(usage_error_of("bert-mini:heads=3") == "--arch bert-mini:heads=3: heads: 3 do not divide width 256");
  CHECK(usage_error_of("bert-mini:depth=2,depth=3") == "--arch bert-mini:depth=2,depth=3: 'depth' given twice");
  CHECK(usage_error_of("vit-mini:patch=8") == "--arch vit-mini:patch=8: the patch side is --patch, not a key of --arch");
  CHECK(usage_error_of("convnet-s:depth=2").find("'depth' is not a key of a convnet encoder (widths)") != std::string::npos);
  CHECK(usage_error_of("w2v-tiny:conv_kernels=10/3").find("list 2, 7 and 7 layers") != std::string::npos);
  CHECK(usage_error_of("w2v-tiny:pos_groups=3").find("pos_groups: 3 does not divide width 64") != std::string::npos);
  CHECK(arch_problem("bert-mini:depth=2") == "");
  CHECK(arch_problem("vit-mini:depth=0") == "vit-mini:depth=0: depth: at least 1 block");
  // A text encoder may have no blocks and no positions: a bag of tokens (skip-gram's).
  CHECK(arch_problem("bert-mini:depth=0,position=none") == "");
  CHECK(arch_problem("bert-mini:depth=-1") == "bert-mini:depth=-1: depth: 0 or more blocks");
  CHECK(arch_problem("vit-mini:position=none") ==
        "vit-mini:position=none: position: a ViT's positions are sincos (fixed, any grid)");
}

TEST_CASE("encoders are built from shapes: a non-preset shape has the parameters its numbers say") {
  nn::init_engine();
  Rng rng(1);
  // convnet of widths 8/16: 1*8*9 + 8*16*9 conv weights, BN 2*(8+16).
  CHECK(make_encoder(parse_arch("convnet-s:widths=8/16"), 1, rng)->parameter_count() == 72 + 1152 + 48);
  CHECK(make_encoder(parse_arch("convnet-s:widths=8/16"), 1, rng)->out_dim() == 16);
  // ResNet of one stage of one block at width 8 (3 input channels): stem 3*8*9 + BN 16, block 2 convs 8*8*9 + 2 BN.
  CHECK(make_encoder(parse_arch("resnet18:widths=8,blocks=1"), 3, rng)->parameter_count() == 216 + 16 + 2 * 576 + 32);
  // A text encoder of width 16, 1 block, MLP 20: embeddings (V + L) * 16, attention 4*(16*16+16),
  // MLP 16*20+20 + 20*16+16, 3 layer norms of 2*16.
  TextEncoder t(parse_arch("bert-tiny:width=16,depth=1,heads=2,mlp=20"), 10, 6, rng);
  CHECK(t.parameter_count() == (10 + 6) * 16 + 4 * (256 + 16) + (320 + 20) + (320 + 16) + 3 * 32);
  // Text shapes are not image encoders.
  CHECK_THROWS_AS(make_encoder(parse_arch("bert-tiny"), 1, rng), UsageError);
}

TEST_CASE("w2v shapes: a layer-norm extractor with conv biases and layers of different widths") {
  const EncoderShape s = parse_arch(
      "w2v-tiny:feature_norm=layer,conv_bias=true,conv_channels=12/16/20,conv_kernels=6/4/3,conv_strides=4/3/2");
  CHECK(s.feature_norm == "layer");
  CHECK(s.conv_bias);
  CHECK(s.conv.size() == 3);
  CHECK(s.conv[2] == ConvLayer{20, 3, 2});
  CHECK(from_json(json::parse(to_json(s).dump()), "m.h5") == s);
  CHECK(to_json(s)["conv_bias"] == true);
  // A file from before conv_bias was a key: no biases, as then.
  json old = to_json(parse_arch("w2v-tiny"));
  old.erase("conv_bias");
  CHECK(error_of(old) == "");
  CHECK_FALSE(from_json(old, "m.h5").conv_bias);
  old.erase("pos_weight_norm");
  CHECK_FALSE(from_json(old, "m.h5").pos_weight_norm);
  CHECK(parse_arch("w2v-tiny:pos_weight_norm=true").pos_weight_norm);
  CHECK(from_json(to_json(parse_arch("w2v-tiny:pos_weight_norm=true")), "m.h5").pos_weight_norm);
  json bad = to_json(s);
  bad["feature_norm"] = "batch";
  CHECK(error_of(bad).rfind("m.h5: /config encoder.feature_norm: group (after the first conv layer) or layer", 0) == 0);
  bad = to_json(s);
  bad["conv_bias"] = 1;
  CHECK(error_of(bad) == "m.h5: /config encoder.conv_bias: not true or false: 1");
  CHECK_THROWS_AS(parse_arch("w2v-tiny:conv_bias=yes"), UsageError);
}

// ssl-import model against the real transformers: the committed fixtures of
// tests/interop/make_vit_fixtures.py (tiny ViTMAEForPreTraining and ViTModel
// with every parameter redrawn, their inputs and transformers' outputs) are
// imported and run through sslkit's forward; then exported again with
// ssl-export --to hf and compared tensor by tensor with the original file.
#include <doctest/doctest.h>

#include <cmath>
#include <string>

#include "apps/export.hpp"
#include "apps/import_model.hpp"
#include "io/safetensors.hpp"
#include "io/test_util.hpp"
#include "models/vit.hpp"
#include "nn/engine.hpp"
#include "train/trained_model.hpp"

using namespace sslkit;
using sslkit::testing::ScratchDir;

namespace {

std::string fixture(const std::string& name) {
  return std::string(SSLKIT_DATA_DIR) + "/../tests/interop/fixtures/" + name;
}

std::vector<float> values(const io::SafetensorsContent& c, const std::string& name) {
  const io::SafeTensor* t = c.find(name);
  REQUIRE_MESSAGE(t, name);
  return t->to_f32();
}

// The worst |ours - theirs| / max(1, |theirs|) (issue 25's gate: <= 1e-4).
double worst_error(const float* ours, const std::vector<float>& theirs) {
  double worst = 0;
  for (size_t i = 0; i < theirs.size(); ++i)
    worst = std::max(worst, std::fabs(static_cast<double>(ours[i]) - theirs[i]) /
                                std::max(1.0, std::fabs(static_cast<double>(theirs[i]))));
  return worst;
}

struct Imported {
  std::unique_ptr<methods::Method> method;
  nlohmann::ordered_json config;
  io::SafetensorsContent ref;
  nn::Tensor x;  // the reference images, normalised as the model file says
  int64_t n = 0, h = 0, w = 0;
};

Imported import_fixture(const std::string& name) {
  nn::init_engine();
  const std::string dir = fixture(name);
  Imported r;
  const io::HfCheckpoint c = io::read_hf_checkpoint(dir);
  r.method = train::import_method(c, train::family_of(c), &r.config);
  r.ref = io::read_safetensors(dir + "/reference.safetensors");
  const io::SafeTensor* images = r.ref.find("images");
  REQUIRE(images);
  r.n = images->shape[0], r.h = images->shape[1], r.w = images->shape[2];
  r.x = train::normalize_images(images->data.data(), r.n, r.h, r.w, 3,
                                data::pixel_norm_from_json(r.config["normalize"], name));
  return r;
}

// ViTImageProcessor's pixel_values [N,3,H,W] against ours [N,H,W,3].
void check_pixels(const Imported& r) {
  const std::vector<float> pv = values(r.ref, "pixel_values");
  std::vector<float> ours_nchw(pv.size());
  for (int64_t i = 0; i < r.n; ++i)
    for (int64_t y = 0; y < r.h; ++y)
      for (int64_t x = 0; x < r.w; ++x)
        for (int64_t c = 0; c < 3; ++c)
          ours_nchw[((i * 3 + c) * r.h + y) * r.w + x] = r.x.f32()[((i * r.h + y) * r.w + x) * 3 + c];
  const double e = worst_error(ours_nchw.data(), pv);
  MESSAGE("pixel normalisation: max error " << e);
  CHECK(e <= 1e-6);
}

// Every token of the last hidden state, every patch kept in grid order.
double hidden_error(Imported& r) {
  nn::NoGrad ng;
  auto& vit = dynamic_cast<models::ViT&>(r.method->encoder());
  const int64_t p = vit.patch(), L = (r.h / p) * (r.w / p);
  std::vector<int32_t> keep;
  for (int64_t i = 0; i < r.n; ++i)
    for (int64_t l = 0; l < L; ++l) keep.push_back(static_cast<int32_t>(l));
  const nn::Tensor out = vit.forward_visible(nn::Var(r.x), keep, L).value().to(nn::DType::f32);
  const std::vector<float> ref = values(r.ref, "last_hidden_state");
  REQUIRE(out.numel() == static_cast<int64_t>(ref.size()));
  return worst_error(out.f32(), ref);
}

// ssl-export --to hf of the imported model gives back the original names,
// shapes and bytes; the position tables (not stored in sslkit: recomputed
// in double precision, transformers' in float) agree within 1e-6.
void check_reexport(const std::string& name) {
  ScratchDir d;
  const std::string dir = fixture(name), model = d / "m.h5", out = d / "hf";
  train::run_import_model({dir, model, "test"});
  train::ExportOptions o;
  o.model = model;
  o.output = out;
  o.to = "hf";
  train::run_export(o);
  const io::SafetensorsContent a = io::read_safetensors(dir + "/model.safetensors");
  const io::SafetensorsContent b = io::read_safetensors(out + "/model.safetensors");
  CHECK(a.tensors.size() == b.tensors.size());
  double table = 0;
  for (const io::SafeTensor& t : a.tensors) {
    CAPTURE(t.name);
    const io::SafeTensor* u = b.find(t.name);
    REQUIRE(u);
    CHECK(u->shape == t.shape);
    CHECK(u->dtype == t.dtype);
    if (t.name.find("pos") != std::string::npos) {
      const std::vector<float> x = t.to_f32(), y = u->to_f32();
      for (size_t i = 0; i < x.size(); ++i) table = std::max(table, std::fabs(static_cast<double>(x[i]) - y[i]));
    } else {
      CHECK(u->data == t.data);
    }
  }
  MESSAGE(name << ": re-exported sine-cosine tables differ from transformers' by at most " << table);
  CHECK(table <= 1e-6);
}

}  // namespace

TEST_CASE("import model: a tiny ViTMAEForPreTraining gives transformers' pixels and hidden states and MAE logits") {
  Imported r = import_fixture("vit-mae-tiny");
  CHECK(r.config["method"] == "mae");
  CHECK(r.config["decoder_width"] == 20);
  CHECK(r.config["decoder_heads"] == 2);
  CHECK(r.config["decoder_mlp"] == 36);
  CHECK(r.config["encoder"]["eps"] == 1e-12);
  check_pixels(r);
  const double hidden = hidden_error(r);
  MESSAGE("vit-mae-tiny last_hidden_state: max error " << hidden);
  CHECK(hidden <= 1e-4);
  // MAE: noise = arange and mask_ratio 0.75 keep the first quarter of the patches.
  const int64_t L = (r.h / 4) * (r.w / 4);
  std::vector<uint8_t> mask;
  for (int64_t i = 0; i < r.n; ++i)
    for (int64_t l = 0; l < L; ++l) mask.push_back(l >= L / 4);
  nn::NoGrad ng;
  const nn::Tensor rec = r.method->reconstruct(r.x, mask);
  const double mae = worst_error(rec.f32(), values(r.ref, "mae_pixels"));
  MESSAGE("vit-mae-tiny MAE logits: max error " << mae);
  CHECK(mae <= 1e-4);
  check_reexport("vit-mae-tiny");
}

TEST_CASE("import model: a tiny non-square ViTModel gives transformers' hidden states") {
  Imported r = import_fixture("vit-tiny");
  CHECK(r.config["input_shape"] == nlohmann::ordered_json{12, 16});
  CHECK(r.config["encoder"]["eps"] == 1e-6);
  check_pixels(r);
  const double hidden = hidden_error(r);
  MESSAGE("vit-tiny last_hidden_state: max error " << hidden);
  CHECK(hidden <= 1e-4);
  check_reexport("vit-tiny");
}

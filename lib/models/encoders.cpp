#include "models/encoders.hpp"

#include "models/text_encoder.hpp"
#include "models/vit.hpp"
#include "models/w2v.hpp"

#include "core/error.hpp"

namespace sslkit::models {

using nn::Var;

namespace {
const EncoderShape& preset_shape(const std::string& name) {
  for (const auto& p : arch_presets())
    if (p.name == name) return p.shape;
  SSLKIT_FAIL("no preset " + name);
}
}  // namespace

std::unique_ptr<Encoder> make_encoder(const EncoderShape& shape, int64_t in_channels, Rng& rng, const std::string& pool) {
  switch (shape.kind) {
    case EncoderKind::convnet: return std::make_unique<ConvNetS>(in_channels, shape.widths, rng);
    case EncoderKind::resnet: return std::make_unique<ResNet>(in_channels, shape.widths, shape.blocks, rng);
    case EncoderKind::vit: {
      auto v = std::make_unique<ViT>(shape, in_channels, rng);
      v->set_pool(pool);
      return v;
    }
    case EncoderKind::w2v: return std::make_unique<W2VEncoder>(shape, rng);
    case EncoderKind::text: break;
  }
  throw UsageError("a text encoder (" + arch_names_for("text") + ") encodes text files, not images or audio");
}

std::unique_ptr<Encoder> make_encoder(const std::string& arch, int64_t in_channels, Rng& rng, const VitOptions& vit) {
  EncoderShape shape = parse_arch(arch);
  if (shape.kind == EncoderKind::vit) shape.patch = vit.patch;
  return make_encoder(shape, in_channels, rng, vit.pool);
}

ConvNetS::ConvNetS(int64_t in_channels, const std::vector<int64_t>& widths, Rng& rng) : widths_(widths) {
  SSLKIT_CHECK(!widths.empty(), "a convnet without layers");
  int64_t in = in_channels;
  for (int64_t out : widths) {
    // Conv followed by batchnorm: no bias (as in the PyTorch reference).
    convs.emplace_back(in, out, 3, rng, 1, 1, false);
    norms.emplace_back(out);
    in = out;
  }
}

static std::vector<int64_t> times(std::vector<int64_t> v, int64_t k) {
  for (auto& x : v) x *= k;
  return v;
}

ConvNetS::ConvNetS(int64_t in_channels, Rng& rng, int64_t width)
    : ConvNetS(in_channels, times(preset_shape("convnet-s").widths, width), rng) {}

Var ConvNetS::forward(const Var& x) {
  Var h = x;
  for (size_t i = 0; i < convs.size(); ++i) {
    h = norms[i].forward_relu(convs[i].forward(h));
    if (i % 2 == 1 && i + 1 < convs.size()) h = nn::max_pool2d(h, 2, 2);
  }
  return nn::global_avg_pool(h);
}

void ConvNetS::visit(nn::ModuleVisitor& v) {
  for (size_t i = 0; i < convs.size(); ++i) {
    v.module("conv" + std::to_string(i), convs[i]);
    v.module("bn" + std::to_string(i), norms[i]);
  }
}

ResNet::ResNet(int64_t in_channels, const std::vector<int64_t>& widths, const std::vector<int64_t>& stage_blocks, Rng& rng)
    : out_dim_(widths.back()),
      stage_blocks_(stage_blocks),
      conv1(in_channels, widths[0], 3, rng, 1, 1, false),
      bn1(widths[0]) {
  SSLKIT_CHECK(!widths.empty() && widths.size() == stage_blocks.size(), "a ResNet's widths and blocks differ in stages");
  int64_t in = widths[0];
  for (size_t stage = 0; stage < widths.size(); ++stage) {
    const int64_t out = widths[stage];
    for (int64_t b = 0; b < stage_blocks[stage]; ++b) {
      int64_t stride = (stage > 0 && b == 0) ? 2 : 1;
      BasicBlock blk{nn::Conv2d(in, out, 3, rng, stride, 1, false), nn::Conv2d(out, out, 3, rng, 1, 1, false),
                     nn::Conv2d(), nn::BatchNorm(out), nn::BatchNorm(out), nn::BatchNorm(), false};
      if (stride != 1 || in != out) {
        blk.down = nn::Conv2d(in, out, 1, rng, stride, 0, false);
        blk.down_bn = nn::BatchNorm(out);
        blk.has_down = true;
      }
      blocks.push_back(std::move(blk));
      in = out;
    }
  }
}

ResNet18::ResNet18(int64_t in_channels, Rng& rng)
    : ResNet(in_channels, preset_shape("resnet18").widths, preset_shape("resnet18").blocks, rng) {}

Var ResNet::forward(const Var& x) {
  Var h = bn1.forward_relu(conv1.forward(x));
  for (auto& b : blocks) {
    Var y = b.bn1.forward_relu(b.conv1.forward(h));
    y = b.bn2.forward(b.conv2.forward(y));
    Var skip = b.has_down ? b.down_bn.forward(b.down.forward(h)) : h;
    h = nn::relu(nn::add(y, skip));
  }
  return nn::global_avg_pool(h);
}

void ResNet::visit(nn::ModuleVisitor& v) {
  v.module("conv1", conv1);
  v.module("bn1", bn1);
  size_t i = 0;
  for (size_t stage = 0; stage < stage_blocks_.size(); ++stage)
    for (int64_t k = 0; k < stage_blocks_[stage]; ++k, ++i) {
      const std::string p = "layer" + std::to_string(stage + 1) + "." + std::to_string(k) + ".";
      auto& b = blocks[i];
      v.module(p + "conv1", b.conv1);
      v.module(p + "bn1", b.bn1);
      v.module(p + "conv2", b.conv2);
      v.module(p + "bn2", b.bn2);
      if (b.has_down) {
        v.module(p + "downsample.0", b.down);
        v.module(p + "downsample.1", b.down_bn);
      }
    }
}

}  // namespace sslkit::models

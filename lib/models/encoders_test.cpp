#include <doctest/doctest.h>

#include "core/error.hpp"
#include "models/encoders.hpp"
#include "nn/engine.hpp"
#include "nn/gradcheck.hpp"

using namespace sslkit;
using namespace sslkit::nn;

TEST_CASE("convnet-s has the reference parameter count and output shape") {
  init_engine();
  Rng rng(1);
  models::ConvNetS net(1, rng);
  // conv weights 288 + 9216 + 18432 + 36864 + 73728, batchnorm 2 x 320: as PyTorch's ConvNetS.
  CHECK(net.parameter_count() == 139168);
  CHECK(net.named_buffers().size() == 10);
  NoGrad ng;
  Var y = net.forward(Var(random_tensor({3, 28, 28, 1}, 2)));
  CHECK(y.shape() == Shape{3, 128});
}

TEST_CASE("convnet-m (the image default) is convnet-s at twice the width - count and output shape") {
  init_engine();
  Rng rng(1);
  // Through the --arch name, so the name's width is what is checked.
  auto net = models::make_encoder("convnet-m", 1, rng);
  // conv weights 1*64*9 + 64*64*9 + 64*128*9 + 128*128*9 + 128*256*9 = 553536,
  // batchnorm 2 x (64 + 64 + 128 + 128 + 256) = 1280.
  CHECK(net->parameter_count() == 554816);
  CHECK(net->named_buffers().size() == 10);
  CHECK(net->out_dim() == 256);
  NoGrad ng;
  net->set_training(false);
  Var y = net->forward(Var(random_tensor({3, 28, 28, 1}, 2)));
  CHECK(y.shape() == Shape{3, 256});
  // Any input size: global pooling (emp's 14-pixel crops).
  CHECK(net->forward(Var(random_tensor({2, 14, 14, 1}, 3))).shape() == Shape{2, 256});
}

TEST_CASE("resnet-18 with the CIFAR stem has torchvision's parameter count") {
  init_engine();
  Rng rng(1);
  models::ResNet18 net(3, rng);
  // torchvision resnet18 with a 3x3 conv1 and no fc layer.
  CHECK(net.parameter_count() == 11168832);
  NoGrad ng;
  net.set_training(false);
  Var y = net.forward(Var(random_tensor({2, 16, 16, 3}, 3)));
  CHECK(y.shape() == Shape{2, 512});
}

TEST_CASE("a deep copy of an encoder computes the same and owns its parameters") {
  init_engine();
  Rng rng(4);
  models::ConvNetS net(1, rng);
  auto copy = net.clone();
  auto& c = static_cast<models::ConvNetS&>(*copy);
  net.set_training(false);
  c.set_training(false);
  Tensor x = random_tensor({2, 12, 12, 1}, 5);
  NoGrad ng;
  auto a = net.forward(Var(x)).value().to_vector();
  auto b = c.forward(Var(x)).value().to_vector();
  CHECK(a == b);
  c.named_parameters()[0].second->value().f32()[0] += 1.0f;
  CHECK(net.named_parameters()[0].second->value().f32()[0] != c.named_parameters()[0].second->value().f32()[0]);
  CHECK(net.named_parameters()[0].first == "conv0.weight");
}

TEST_CASE("gradients flow from the encoder output to every parameter") {
  init_engine();
  Rng rng(6);
  models::ConvNetS net(1, rng);
  Var y = net.forward(Var(random_tensor({4, 8, 8, 1}, 7)));
  mean(y).backward();
  for (auto& kv : net.named_parameters()) {  // no structured binding: clang 14 cannot capture one in CAPTURE/INFO
    auto& name = kv.first;
    auto& p = kv.second;
    INFO(name);
    REQUIRE(p->grad().defined());
    CHECK(p->grad().shape() == p->value().shape());
  }
}

TEST_CASE("every --arch knows what it encodes and a mismatch says so") {
  for (const auto& arch : models::arch_names()) {
    const std::string m = models::arch_modality(arch);
    CHECK((m == "image" || m == "text" || m == "audio"));
    CHECK(models::arch_names_for(m).find(arch) != std::string::npos);
    CHECK_NOTHROW(models::check_arch_modality(arch, m, "f.h5"));
  }
  CHECK(models::arch_modality("w2v-tiny") == "audio");
  CHECK(models::arch_modality("bert-mini") == "text");
  CHECK(models::arch_modality("vit-tiny") == "image");
  CHECK(models::arch_names_for("text") == "bert-tiny, bert-mini");
  CHECK_THROWS_AS(models::arch_modality("lstm"), UsageError);
  auto message = [](const std::string& arch, const std::string& modality) {
    try {
      models::check_arch_modality(arch, modality, "f.h5");
    } catch (const UsageError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  CHECK(message("w2v-tiny", "text") == "--arch w2v-tiny is an audio encoder; f.h5 is a text file (bert-tiny, bert-mini)");
  CHECK(message("bert-tiny", "image") ==
        "--arch bert-tiny is a text encoder; f.h5 holds images (convnet-s, convnet-m, resnet18, vit-mini, vit-tiny)");
  CHECK(message("convnet-s", "audio") == "--arch convnet-s is an image encoder; f.h5 holds audio (w2v-mini, w2v-tiny)");
}

#include "train/collapse.hpp"

#include <algorithm>
#include <cmath>

namespace sslkit::train {

double collapse_std(const nn::Tensor& z) {
  if (!z.defined() || z.rank() != 2) return -1;
  nn::Tensor f = z.to(nn::DType::f32);
  const int64_t N = f.dim(0), D = f.dim(1);
  std::vector<double> mean(D, 0), sq(D, 0);
  for (int64_t i = 0; i < N; ++i) {
    double norm = 0;
    for (int64_t d = 0; d < D; ++d) norm += f.f32()[i * D + d] * f.f32()[i * D + d];
    norm = std::max(std::sqrt(norm), 1e-12);
    for (int64_t d = 0; d < D; ++d) {
      double u = f.f32()[i * D + d] / norm;
      mean[d] += u / N;
      sq[d] += u * u / N;
    }
  }
  double s = 0;
  for (int64_t d = 0; d < D; ++d) s += std::sqrt(std::max(0.0, sq[d] - mean[d] * mean[d]));
  return s / D;
}

std::string embedding_collapse_warning(const nn::Tensor& z, int64_t step) {
  const double s = collapse_std(z);
  if (s < 0) return "";
  const double healthy = 1.0 / std::sqrt(static_cast<double>(std::max<int64_t>(1, z.dim(-1))));
  if (s >= 0.1 * healthy) return "";
  return "step " + std::to_string(step) + ": embeddings are collapsing (per-dimension std " + std::to_string(s) +
         ", healthy about " + std::to_string(healthy) + ")";
}

std::string codebook_collapse_warning(const std::vector<std::pair<std::string, double>>& metrics, int64_t step) {
  double perplexity = -1, codes = 0;
  for (const auto& [name, v] : metrics) {
    if (name == "code_perplexity") perplexity = v;
    if (name == "codes") codes = v;
  }
  // Early steps start from random codes; a collapse shows later.
  if (perplexity < 0 || step < 100 || perplexity > 4.0) return "";
  char line[200];
  std::snprintf(line, sizeof line,
                "step %lld: the codebook is collapsing: code perplexity %.2f of %d codes (one or two codes per group "
                "in use); try a lower --lr",
                static_cast<long long>(step), perplexity, static_cast<int>(codes));
  return line;
}

}  // namespace sslkit::train

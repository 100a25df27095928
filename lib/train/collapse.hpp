// Collapse monitors, checked while pretraining runs: the known failure of
// each family, said in one warning line as soon as it shows.
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "nn/tensor.hpp"

namespace sslkit::train {

// Mean over dimensions of the std of l2-normalised embeddings z [N,D]:
// about 1/sqrt(D) when healthy, near 0 when every input maps to the same
// point. -1 for anything but a matrix.
double collapse_std(const nn::Tensor& z);

// The warning for embeddings z at `step`, or "" when healthy (std at least
// a tenth of 1/sqrt(D)).
std::string embedding_collapse_warning(const nn::Tensor& z, int64_t step);

// wav2vec 2.0's known failure is a codebook that collapses to one or two
// codes per group (fairseq#4530, transformers#19588). From a method's
// metrics (code_perplexity summed over groups, codes = G*V): the warning
// when the code perplexity is 4 or less from step 100 on, else "".
std::string codebook_collapse_warning(const std::vector<std::pair<std::string, double>>& metrics, int64_t step);

}  // namespace sslkit::train

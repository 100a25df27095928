#include <doctest/doctest.h>

#include <limits>
#include <vector>

#include "core/error.hpp"
#include "data/finite_clips.hpp"

using namespace sslkit;

TEST_CASE("finite clips: the first NaN or infinity is named by row and sample") {
  std::vector<float> clips(3 * 5, 0.25f);
  CHECK_NOTHROW(data::require_finite_clips("a.h5", clips.data(), 3, 5, 0));
  clips[2 * 5 + 4] = std::numeric_limits<float>::infinity();
  CHECK_THROWS_WITH_AS(data::require_finite_clips("a.h5", clips.data(), 3, 5, 10),
                       doctest::Contains("a.h5: /audio row 12 holds an infinite value at sample 4"), Error);
  clips[1 * 5 + 0] = std::numeric_limits<float>::quiet_NaN();
  CHECK_THROWS_WITH_AS(data::require_finite_clips("a.h5", clips.data(), 3, 5, 0),
                       doctest::Contains("a.h5: /audio row 1 holds NaN at sample 0"), Error);
}

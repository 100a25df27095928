#include "io/shard.hpp"

#include <doctest/doctest.h>

#include "core/error.hpp"

using namespace sslkit;

TEST_CASE("shard I/K parses 0-based and refuses the rest") {
  const io::ShardSpec s = io::parse_shard("2/5");
  CHECK(s.index == 2);
  CHECK(s.count == 5);
  CHECK(io::parse_shard("0/1").whole());
  for (const char* bad : {"5/5", "1/0", "-1/3", "1", "a/3", "1/3x", "/3", "1/", "1/-3"})
    CHECK_THROWS_AS(io::parse_shard(bad), UsageError);
}

TEST_CASE("shards cover every row once in order whatever N and K") {
  for (size_t n : {0, 1, 2, 7, 100, 101})
    for (size_t k : {1, 2, 3, 8}) {
      size_t next = 0;
      for (size_t i = 0; i < k; ++i) {
        const io::ShardSpec s{i, k};
        CHECK(s.first(n) == next);
        CHECK(s.last(n) - s.first(n) <= n / k + 1);
        next = s.last(n);
      }
      CHECK(next == n);
    }
}

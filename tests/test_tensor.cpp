#include <convt/error.h>
#include <convt/tensor.h>

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <vector>

namespace convt {
namespace {

TEST(Tensor, ShapeQueriesAndStrides) {
  const Tensor t = Tensor::zeros({2, 3, 4, 5});
  EXPECT_EQ(t.dim(), 4);
  EXPECT_EQ(t.numel(), 120);
  EXPECT_EQ(t.size(1), 3);
  EXPECT_EQ(t.size(-1), 5);
  EXPECT_EQ(t.strides(), (std::vector<int64_t>{60, 20, 5, 1}));
  EXPECT_THROW(t.size(4), Error);
  EXPECT_THROW(t.size(-5), Error);
}

TEST(Tensor, FillsAndArange) {
  const Tensor ones = Tensor::ones({2, 2});
  const Tensor full = Tensor::full({3}, 2.5f);
  const Tensor range = Tensor::arange({2, 3});
  for (int64_t i = 0; i < ones.numel(); ++i) EXPECT_EQ(ones[i], 1.0f);
  for (int64_t i = 0; i < full.numel(); ++i) EXPECT_EQ(full[i], 2.5f);
  for (int64_t i = 0; i < range.numel(); ++i) EXPECT_EQ(range[i], static_cast<float>(i));
  Tensor four = Tensor::arange({1, 2, 3, 4});
  EXPECT_EQ(four.at(0, 1, 2, 3), 23.0f);
}

TEST(Tensor, SeededFillsAreReproducibleAndDistributedAsAsked) {
  const Tensor a = Tensor::randn({10000}, 42);
  const Tensor b = Tensor::randn({10000}, 42);
  const Tensor c = Tensor::randn({10000}, 43);
  double sum = 0, sum_sq = 0;
  int differ = 0;
  for (int64_t i = 0; i < a.numel(); ++i) {
    EXPECT_EQ(a[i], b[i]);
    differ += a[i] != c[i];
    sum += a[i];
    sum_sq += static_cast<double>(a[i]) * a[i];
  }
  EXPECT_GT(differ, 9900);
  const double mean = sum / a.numel();
  EXPECT_NEAR(mean, 0.0, 0.05);
  EXPECT_NEAR(std::sqrt(sum_sq / a.numel() - mean * mean), 1.0, 0.05);

  const Tensor u = Tensor::uniform({10000}, 7, -2.0f, 3.0f);
  double u_sum = 0;
  for (int64_t i = 0; i < u.numel(); ++i) {
    EXPECT_GE(u[i], -2.0f);
    EXPECT_LT(u[i], 3.0f);
    u_sum += u[i];
  }
  EXPECT_NEAR(u_sum / u.numel(), 0.5, 0.05);
}

TEST(Tensor, ReshapeKeepsDataAndChecksCount) {
  const Tensor t = Tensor::arange({2, 6});
  const Tensor r = t.reshaped({3, 4});
  EXPECT_EQ(r.shape(), (Shape{3, 4}));
  EXPECT_EQ(r[11], 11.0f);
  EXPECT_THROW(t.reshaped({5}), Error);
  EXPECT_THROW(Tensor::from_data({2, 2}, {1, 2, 3}), Error);
}

// Every way of making a tensor, from a few floats to several pages, starts its data on a cache line: the fast
// kernels store whole 64-byte lines, and malloc's 16-byte alignment split each such store over two lines.
TEST(Tensor, DataStartsOnACacheLine) {
  auto on_a_line = [](const Tensor& t) { return reinterpret_cast<uintptr_t>(t.data()) % kCacheLineBytes == 0; };
  for (int64_t count : {1, 3, 17, 1000, 300000}) {
    SCOPED_TRACE(count);
    EXPECT_TRUE(on_a_line(Tensor({count})));
    EXPECT_TRUE(on_a_line(Tensor::randn({count}, 1)));
    EXPECT_TRUE(on_a_line(Tensor::from_data({count}, std::vector<float>(static_cast<size_t>(count), 2.0f))));
    const Tensor original = Tensor::arange({count});
    EXPECT_TRUE(on_a_line(original.reshaped({1, count})));
    const Tensor copy = original;
    EXPECT_TRUE(on_a_line(copy));
    EXPECT_EQ(copy[count - 1], static_cast<float>(count - 1));
  }
}

TEST(Tensor, MemoryBudgetRefusesUpFrontWithByteCount) {
  set_memory_budget_bytes(1 << 20);
  try {
    Tensor big({1, 1, 1024, 1024});  // 4 MiB
    FAIL() << "expected a refusal";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::OutOfMemoryBudget);
    EXPECT_NE(std::string(e.what()).find("4194304 bytes"), std::string::npos) << e.what();
  }
  set_memory_budget_bytes(0);  // back to the default
  EXPECT_NO_THROW(Tensor({1, 1, 1024, 1024}));
}

TEST(Tensor, ShapeProductOverflowIsAnErrorNotAWrap) {
  EXPECT_THROW(shape_numel({int64_t{1} << 40, int64_t{1} << 40}), Error);
  EXPECT_THROW(Tensor({int64_t{1} << 40, int64_t{1} << 40}), Error);
  EXPECT_THROW(shape_numel({-1, 2}), Error);
}

}  // namespace
}  // namespace convt

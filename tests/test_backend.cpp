#include <convt/backend.h>
#include <convt/error.h>

#include <gtest/gtest.h>

namespace convt {
namespace {

TEST(Backend, ReferenceIsAlwaysAvailableAndAutoFallsBackToIt) {
  EXPECT_TRUE(backend_by_name("reference").availability().available);
  const Backend& chosen = select_backend("auto", ConvTranspose2dParams{});
  EXPECT_TRUE(chosen.availability().available);
  EXPECT_EQ(backend_names(), (std::vector<std::string>{"cpu", "cuda", "reference"}));
}

TEST(Backend, UnknownNameIsAClearError) {
  try {
    backend_by_name("tpu");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("unknown backend 'tpu'"), std::string::npos);
  }
}

TEST(Backend, UnavailableBackendsSayWhy) {
  for (const std::string name : {"reference", "cpu", "cuda"}) {
    const Availability availability = backend_by_name(name).availability();
    if (availability.available) continue;
    EXPECT_FALSE(availability.reason.empty()) << name;
    try {
      select_backend(name, ConvTranspose2dParams{});
      FAIL() << name;
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::InvalidArgument);
      EXPECT_NE(std::string(e.what()).find("is not available: " + availability.reason), std::string::npos);
    }
  }
}

TEST(Backend, CudaWithoutADeviceIsAClearErrorNotACrash) {
  const Availability cuda = backend_by_name("cuda").availability();
  if (cuda.available) GTEST_SKIP() << "a usable CUDA device is present: " << cuda.reason;
  EXPECT_FALSE(cuda.reason.empty());
  EXPECT_NE(select_backend("auto", ConvTranspose2dParams{}).name(), "cuda");
}

}  // namespace
}  // namespace convt

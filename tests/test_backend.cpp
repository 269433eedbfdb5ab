#include <convt/backend.h>
#include <convt/error.h>

#include <gtest/gtest.h>

namespace convt {
namespace {

TEST(Backend, ReferenceIsAlwaysAvailableAndAutoFallsBackToIt) {
  EXPECT_TRUE(backend_by_name("reference").availability().available);
  const Backend& chosen = select_backend("auto", ConvTranspose2dParams{});
  EXPECT_TRUE(chosen.availability().available);
  EXPECT_EQ(backend_names(), (std::vector<std::string>{"cuda", "cpu", "reference", "cuda-tf32"}));
  EXPECT_EQ(backend_choices().front(), "auto");
}

// What "auto" picks is settled in test_backend_ops.cpp (BackendOps.AutoPicksCudaWhenADeviceAnswersElseCpu).

TEST(Backend, UnknownNameIsAClearError) {
  try {
    backend_by_name("tpu");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("unknown backend 'tpu'"), std::string::npos);
  }
}

TEST(Backend, UnavailableBackendsSayWhy) {
  for (const std::string& name : backend_names()) {
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
  const Availability tf32 = backend_by_name("cuda-tf32").availability();
  EXPECT_FALSE(tf32.available);
  EXPECT_EQ(tf32.reason, cuda.reason) << "without a device, TF32 gives the same reason";
}

}  // namespace
}  // namespace convt
